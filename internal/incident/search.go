package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The search box finds incidents by words that each appear, as a
// substring, in the incident's id, title, description, one of its
// observables or one of its comments. It reads an index (table
// incident_search, migration 0020) rather than the incidents: one text per
// incident, folded here in Go, held in SQLite's FTS5 trigram table or, on
// PostgreSQL, with its trigrams in a tsvector under a GIN index. Folding in
// Go means both databases compare the same letters: "Sérangan",
// "SERANGAN" and "serangan" are one word on both.

// fold is how search compares text: compatibility forms decomposed
// (full-width letters, ligatures), diacritics dropped and letters lowered,
// so "Pemilu", "PEMİLU" and "pémilu" read alike. Texts and search words
// are folded alike, so a folded word is in a folded text exactly when the
// word, ignoring case and accents, is in the text.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return unicode.ToLower(r)
	}, norm.NFKD.String(s))
}

// gramLen is the trigram tokenizer's: shorter words have no trigram to look
// up, so they are matched against the folded text of the incidents the
// other words leave (and, alone, against every incident the reader sees).
const gramLen = 3

// grams lists the distinct trigrams of s's whitespace-separated words, in
// runes. A search word never holds whitespace, so trigrams across it are
// never looked for.
func grams(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		rs := []rune(w)
		for i := 0; i+gramLen <= len(rs); i++ {
			out = append(out, string(rs[i:i+gramLen]))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// searchWords splits a search into folded words, refusing too many or too
// long a search.
func searchWords(text string) ([]string, error) {
	words := strings.Fields(fold(text))
	if len(words) > 8 || utf8.RuneCountInString(text) > 200 {
		return nil, problem.Field("q", "search for at most 8 words and 200 characters")
	}
	return words, nil
}

// textSearch is the search box as SQL for List.
type textSearch struct {
	cond string // a condition on incidents aliased i
	args []any
	from string // if not "", the FROM clause to read incidents by, from the index
	id   string // and the incident id column in it, to order and page by
}

// textMatch is the search box: every word must be a substring of the
// incident's folded text. The index answers the words of three letters or
// more; shorter ones are confirmed on the text of the incidents the index
// leaves. The condition sits beside policy's ReadFilter in List, so a
// search never finds what the reader may not see. No words, no condition.
func textMatch(d store.Dialect, text string) (textSearch, error) {
	words, err := searchWords(text)
	if err != nil || len(words) == 0 {
		return textSearch{}, err
	}
	var s textSearch
	var conds, indexed []string
	for _, w := range words {
		if utf8.RuneCountInString(w) >= gramLen {
			indexed = append(indexed, w)
		}
	}
	if d == store.SQLite {
		// An FTS5 phrase in double quotes (doubled inside) is taken as
		// it is: with the trigram tokenizer it matches as a substring.
		if len(indexed) > 0 {
			var q []string
			for _, w := range indexed {
				q = append(q, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
			}
			conds, s.args = append(conds, "incident_search MATCH ?"), append(s.args, strings.Join(q, " AND "))
		}
		for _, w := range words {
			if !slices.Contains(indexed, w) {
				conds, s.args = append(conds, "instr(incident_search.body, ?) > 0"), append(s.args, w)
			}
		}
		// The index drives, newest first (FTS5 hands out its rows in
		// rowid order either way), so a word in many incidents stops at
		// a page and one in none costs nothing; CROSS JOIN keeps SQLite
		// from reading the incidents first and the index for each.
		s.cond = strings.Join(conds, " AND ")
		s.from = " FROM incident_search CROSS JOIN incidents i ON i.id = incident_search.rowid" + joins
		s.id = "incident_search.rowid"
		return s, nil
	}
	// PostgreSQL: every trigram of the long words as a tsquery of quoted
	// lexemes (quote and backslash escaped), then every word confirmed on
	// the text, since trigrams in any order are not yet the substring
	// (backslash is LIKE's escape character there, whatever the settings).
	if len(indexed) > 0 {
		lexeme := strings.NewReplacer(`\`, `\\`, `'`, `''`)
		var q []string
		for _, g := range grams(strings.Join(indexed, " ")) {
			q = append(q, "'"+lexeme.Replace(g)+"'")
		}
		conds, s.args = append(conds, "s.grams @@ ?::tsquery"), append(s.args, strings.Join(q, " & "))
	}
	// LIKE rather than strpos: PostgreSQL estimates how many texts a LIKE
	// pattern matches from its statistics, and so chooses between reading
	// the newest incidents (a common word) and the index (a rare one).
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	for _, w := range words {
		conds, s.args = append(conds, "s.body LIKE ?"), append(s.args, "%"+like.Replace(w)+"%")
	}
	s.cond = "EXISTS (SELECT 1 FROM incident_search s WHERE s.incident_id = i.id AND " + strings.Join(conds, " AND ") + ")"
	return s, nil
}

// index writes the search index's rows of the given incidents from what
// they hold now: id, title, description, observables and comments, one
// field per line (a word holds no line break, so it never matches across
// two fields). Every write that changes one of those calls it in its
// transaction, so a search never misses a change once it is committed.
func index(ctx context.Context, tx *store.Tx, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for n, id := range ids {
		args[n] = id
	}
	texts := map[int64][]string{}
	for _, query := range []string{
		`SELECT id, human_id || char(10) || title || char(10) || description FROM incidents WHERE id IN (` + store.In(len(ids)) + `)`,
		`SELECT incident_id, value FROM incident_observables WHERE incident_id IN (` + store.In(len(ids)) + `) ORDER BY id`,
		`SELECT incident_id, body FROM incident_timeline WHERE kind = 'comment' AND incident_id IN (` + store.In(len(ids)) + `) ORDER BY id`,
	} {
		if tx.Dialect() == store.Postgres {
			query = strings.ReplaceAll(query, "char(10)", "chr(10)")
		}
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("read incident text for the search index: %w", err)
		}
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				rows.Close()
				return err
			}
			texts[id] = append(texts[id], s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, id := range ids {
		body := fold(strings.Join(texts[id], "\n"))
		var err error
		if tx.Dialect() == store.SQLite {
			if _, err = tx.Exec(ctx, `DELETE FROM incident_search WHERE rowid = ?`, id); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO incident_search (rowid, body) VALUES (?, ?)`, id, body)
			}
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO incident_search (incident_id, body, grams) VALUES (?, ?, array_to_tsvector(?::text[]))
				ON CONFLICT (incident_id) DO UPDATE SET body = excluded.body, grams = excluded.grams`, id, body, grams(body))
		}
		if err != nil {
			return fmt.Errorf("index incident %d for search: %w", id, err)
		}
	}
	return nil
}

// IndexMissing indexes the incidents the search index does not hold yet:
// after migration 0020, every incident that existed before it. It is run at
// start, before anyone searches, and is cheap when there is nothing to do.
// It returns how many it indexed.
func IndexMissing(ctx context.Context, db *store.DB) (int, error) {
	missing := `SELECT id FROM incidents WHERE id > ? AND id NOT IN (SELECT incident_id FROM incident_search) ORDER BY id LIMIT 1000`
	if db.Dialect() == store.SQLite {
		missing = strings.Replace(missing, "SELECT incident_id", "SELECT rowid", 1)
	}
	total := 0
	var after int64
	for {
		n := 0
		err := db.InTx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, missing, after)
			if err != nil {
				return err
			}
			ids, err := store.Collect(rows, func(r store.Scanner) (id int64, err error) { return id, r.Scan(&id) })
			if err != nil || len(ids) == 0 {
				return err
			}
			n, after = len(ids), ids[len(ids)-1]
			return index(ctx, tx, ids...)
		})
		if err != nil {
			return total, fmt.Errorf("index incidents for search: %w", err)
		}
		if total += n; n == 0 {
			return total, nil
		}
	}
}
