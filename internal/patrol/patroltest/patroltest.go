// Package patroltest holds what the patrol's tests share: a world of
// organisations and users, and trivial implementations of the pipeline's
// interfaces (a word-overlap claim matcher, a digit-run PII counter, an
// OCR that reads the image's bytes as text).
package patroltest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/store"
)

// World is a database with the standard organisations and a few users.
type World struct {
	DB   *store.DB
	Tree *org.Tree
	Who  map[string]auth.Principal
}

// NewWorld seeds db: komdigi.analyst and komdigi.viewer (national),
// bssn.analyst, jateng.analyst (KPU Central Java, scope 33).
func NewWorld(t testing.TB, db *store.DB) *World {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w := &World{DB: db, Tree: tree, Who: map[string]auth.Principal{}}
	for _, n := range []auth.NewUser{
		{Username: "komdigi.analyst", Org: "komdigi", Role: "analyst", Scope: ""},
		{Username: "komdigi.viewer", Org: "komdigi", Role: "viewer", Scope: ""},
		{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Scope: ""},
		{Username: "jateng.analyst", Org: "kpu-33", Role: "analyst", Scope: "33"},
	} {
		n.Password = "password-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		w.Who[n.Username], _ = auth.PrincipalOf(u, tree)
	}
	return w
}

// Claims is a claim matcher by shared words: enough to test the pipeline,
// never the real matcher (internal/claim).
type Claims map[string]string // id -> claim text

// Match scores each claim by the share of its words in text.
func (c Claims) Match(_ context.Context, text string, k int) []patrol.ClaimMatch {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), notWord) {
		words[w] = true
	}
	var out []patrol.ClaimMatch
	for id, claim := range c {
		cw := strings.FieldsFunc(strings.ToLower(claim), notWord)
		var hit []string
		for _, w := range cw {
			if words[w] {
				hit = append(hit, w)
			}
		}
		if len(cw) > 0 && len(hit)*2 >= len(cw) {
			out = append(out, patrol.ClaimMatch{ClaimID: id, Score: float64(len(hit)) / float64(len(cw)), Why: strings.Join(hit, ", ")})
		}
	}
	if len(out) > k {
		out = out[:k]
	}
	return out
}

func notWord(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// PII counts runs of 16 digits as NIKs (region from the first two), runs
// of 10 to 13 starting 08 as phones: enough to test the pipeline.
type PII struct{}

// Scan counts.
func (PII) Scan(text string) patrol.PIICounts {
	var c patrol.PIICounts
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r < '0' || r > '9' }) {
		switch {
		case len(f) == 16:
			c.NIK++
			if c.Regions == nil {
				c.Regions = map[string]int{}
			}
			c.Regions[f[:2]]++
		case len(f) >= 10 && len(f) <= 13 && strings.HasPrefix(f, "08"):
			c.Phone++
		}
	}
	return c
}

// OCR reads an image's bytes as its text; an image starting "BAD" fails.
type OCR struct{}

// Read returns the bytes.
func (OCR) Read(_ context.Context, image []byte) (string, error) {
	if strings.HasPrefix(string(image), "BAD") {
		return "", errors.New("tesseract: cannot read the image")
	}
	return string(image), nil
}
