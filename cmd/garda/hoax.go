package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/claim"
)

func hoaxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "hoax", Short: "Hoax claims: match texts against fact-checks offline"}
	cmd.AddCommand(hoaxMatchCmd())
	return cmd
}

func hoaxMatchCmd() *cobra.Command {
	var claimsPath, queriesPath string
	var top int
	var explain bool
	cmd := &cobra.Command{
		Use:   "match --claims CLAIMS --queries QUERIES.csv [--top K]",
		Short: "Match texts against fact-checked claims, offline (no server, no database)",
		Long: `Match every text of QUERIES.csv (columns id and text) against the claims of
CLAIMS, a CSV with id and claim columns (more are allowed) or schema.org
ClaimReview JSON-LD (one object, an array, or an @graph). Prints one JSON
line per query, best match first:

  {"id":"q1","matches":[{"claim":"c7","score":0.8123},...]}

--explain adds the words and numbers that agree (and numbers that do not).

Dates: when CLAIMS has a date (CSV "date", JSON-LD datePublished) and
QUERIES a date column (when the text was seen: YYYY-MM-DD, RFC 3339 or
"30 Jun 2024"), of claims the words score alike one published near the
text's date ranks first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if claimsPath == "" || queriesPath == "" {
				return errors.New("hoax match: --claims and --queries are both required")
			}
			if top < 1 || top > 100 {
				return fmt.Errorf("hoax match: --top %d: want 1 to 100", top)
			}
			reviews, err := readReviews(claimsPath)
			if err != nil {
				return err
			}
			claims := make([]claim.Claim, len(reviews))
			for i, r := range reviews {
				claims[i] = claim.Claim{ID: r.ID, Text: r.Claim}
				if r.Date != "" { // ParseFile checked it
					d, err := claim.ParseDay(r.Date)
					if err != nil {
						return fmt.Errorf("hoax match: claim %s: %w", r.ID, err)
					}
					claims[i].Date = d
				}
			}
			queries, err := readQueries(queriesPath)
			if err != nil {
				return err
			}
			ix := claim.NewIndex(claims)
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			type match struct {
				Claim string             `json:"claim"`
				Score float64            `json:"score"`
				Why   *claim.Explanation `json:"why,omitempty"`
			}
			for _, q := range queries {
				line := struct {
					ID      string  `json:"id"`
					Matches []match `json:"matches"`
				}{ID: q.id, Matches: []match{}}
				for _, m := range ix.MatchAt(q.text, q.seen, top) {
					mm := match{Claim: m.ClaimID, Score: m.Score}
					if explain {
						mm.Why = &m.Why
					}
					line.Matches = append(line.Matches, mm)
				}
				if err := enc.Encode(line); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&claimsPath, "claims", "", "fact-checks: CSV (id, claim) or ClaimReview JSON-LD")
	cmd.Flags().StringVar(&queriesPath, "queries", "", "texts to match: CSV (id, text)")
	cmd.Flags().IntVar(&top, "top", 5, "matches per text (1-100)")
	cmd.Flags().BoolVar(&explain, "explain", false, "say which words and numbers agree")
	return cmd
}

func readReviews(path string) ([]claim.Review, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hoax match: claims: %w", err)
	}
	defer f.Close()
	rs, err := claim.ParseFile(f)
	if err != nil {
		return nil, fmt.Errorf("hoax match: claims %s: %w", path, err)
	}
	return rs, nil
}

type hoaxQuery struct {
	id, text string
	seen     time.Time // zero: no date column, or an empty cell
}

// readQueries reads the texts to match: a CSV with id and text columns,
// and an optional date column (when the text was seen).
func readQueries(path string) ([]hoaxQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hoax match: queries: %w", err)
	}
	defer f.Close()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("hoax match: queries %s: "+format, append([]any{path}, a...)...)
	}
	cr := csv.NewReader(io.LimitReader(f, 1<<30))
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return nil, bad("the file is empty (want a header with id and text columns)")
	} else if err != nil {
		return nil, bad("%w", err)
	}
	id, text, date := -1, -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "id":
			id = i
		case "text":
			text = i
		case "date":
			date = i
		}
	}
	if id < 0 || text < 0 {
		return nil, bad("want id and text columns (the header has %s)", strings.Join(head, ", "))
	}
	var out []hoaxQuery
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, bad("%w", err)
		}
		if id >= len(rec) || text >= len(rec) {
			return nil, bad("row %d has %d fields, fewer than the header", line, len(rec))
		}
		q := hoaxQuery{id: rec[id], text: rec[text]}
		if date >= 0 && date < len(rec) && strings.TrimSpace(rec[date]) != "" {
			if q.seen, err = claim.ParseDay(rec[date]); err != nil {
				return nil, bad("row %d: %w", line, err)
			}
		}
		out = append(out, q)
	}
	return out, nil
}
