package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHoaxMatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	claimsCSV := write("claims.csv", "id,claim,rating\ng1,Gempa 9,8 Magnitude Guncang Labuan Bajo 4 April 2024,salah\nv1,Vaksin Polio Tidak Berguna karena Polio Disebabkan oleh Racun,hoaks\n")
	claimsLD := write("claims.jsonld", `{"@context":"https://schema.org","@graph":[{"@type":"ClaimReview","url":"https://cek.example/g1","claimReviewed":"Gempa 9,8 Magnitude Guncang Labuan Bajo 4 April 2024","reviewRating":{"alternateName":"Salah"}},{"@type":"ClaimReview","url":"https://cek.example/v1","claimReviewed":"Vaksin Polio Tidak Berguna karena Polio Disebabkan oleh Racun"}]}`)
	queries := write("q.csv", "id,text\nq1,\"“BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO HINGGA TERBELAH AMBRUK”\"\nq2,vaksin polio gak berguna krn polio itu dr racun bukan virus\n")

	for claims, want := range map[string][]string{claimsCSV: {"g1", "v1"}, claimsLD: {"https://cek.example/g1", "https://cek.example/v1"}} {
		var out, errb bytes.Buffer
		if code := run([]string{"hoax", "match", "--claims", claims, "--queries", queries, "--top", "1"}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("want 2 lines, got %q", out.String())
		}
		for i, l := range lines {
			var got struct {
				ID      string `json:"id"`
				Matches []struct {
					Claim string  `json:"claim"`
					Score float64 `json:"score"`
				} `json:"matches"`
			}
			if err := json.Unmarshal([]byte(l), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Matches) != 1 || got.Matches[0].Claim != want[i] || got.Matches[0].Score <= 0 {
				t.Errorf("line %d: %s", i+1, l)
			}
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hoax", "match", "--queries", queries}, "--claims and --queries"},
		{[]string{"hoax", "match", "--claims", filepath.Join(dir, "nope.csv"), "--queries", queries}, "no such file"},
		{[]string{"hoax", "match", "--claims", queries, "--queries", queries}, `no "claim" column`},
		{[]string{"hoax", "match", "--claims", claimsCSV, "--queries", claimsCSV}, "want id and text columns"},
		{[]string{"hoax", "match", "--claims", write("bad.json", `{"@type":"ClaimReview"`), "--queries", queries}, "json-ld"},
		{[]string{"hoax", "match", "--claims", claimsCSV, "--queries", queries, "--top", "0"}, "--top"},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, strings.NewReader(""), &out, &errb); code == 0 || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want an error naming %q and no output", c.args, code, errb.String(), out.String(), c.want)
		}
	}
}

// TestHoaxMatchDates: with dated claims and a date column in the queries,
// of two fact-checks of one claim the one published near the text's date
// comes first; a query date that cannot be read is an error naming the row.
func TestHoaxMatchDates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	claims := write("claims.csv", "id,claim,date\nold,Pertalite Dihapus Pemerintah,2023-08-01\nnew,Pertalite Dihapus Pemerintah,10 Aug 2024\nundated,Gempa Guncang Labuan Bajo,\n")
	queries := write("q.csv", "id,text,date\nq2024,pemerintah resmi hapus pertalite,2024-08-12\nq2023,pemerintah resmi hapus pertalite,25 Jul 2023\nqnone,pemerintah resmi hapus pertalite,\n")
	var out, errb bytes.Buffer
	if code := run([]string{"hoax", "match", "--claims", claims, "--queries", queries, "--top", "2"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := map[string]string{"q2024": "new", "q2023": "old", "qnone": "old"}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var got struct {
			ID      string `json:"id"`
			Matches []struct {
				Claim string `json:"claim"`
			} `json:"matches"`
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Matches) != 2 || got.Matches[0].Claim != want[got.ID] {
			t.Errorf("%s: %s, want %s first", got.ID, l, want[got.ID])
		}
	}
	for _, c := range []struct{ claims, queries, want string }{
		{claims, write("bad.csv", "id,text,date\nq1,pertalite dihapus,besok\n"), `row 2: date "besok"`},
		{write("badc.csv", "id,claim,date\nc1,Pertalite Dihapus,kemarin\n"), queries, `date "kemarin"`},
	} {
		out.Reset()
		errb.Reset()
		if code := run([]string{"hoax", "match", "--claims", c.claims, "--queries", c.queries}, strings.NewReader(""), &out, &errb); code == 0 || !strings.Contains(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("bad date: exit %d, stderr %q, stdout %q; want an error naming %s", code, errb.String(), out.String(), c.want)
		}
	}
}
