package claim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const sampleLD = `{"@context":"https://schema.org","@graph":[
 {"@type":"WebPage","name":"x"},
 {"@type":"ClaimReview","url":"https://cek.example/a","claimReviewed":"Gempa 9,8 guncang Labuan Bajo",
  "datePublished":"2024-04-05T10:00:00+07:00","name":"[SALAH] Gempa 9,8",
  "reviewRating":{"@type":"Rating","alternateName":"Salah"},
  "itemReviewed":{"@type":"Claim","author":{"@type":"Person","name":"akun X"}},
  "author":{"@type":"Organization","name":"Cek Fakta"}}]}`

func TestParseClaimReview(t *testing.T) {
	for name, in := range map[string]string{
		"graph":  sampleLD,
		"object": `{"@type":"ClaimReview","url":"https://cek.example/a","claimReviewed":"Gempa 9,8 guncang Labuan Bajo","reviewRating":{"alternateName":"Salah"}}`,
		"array":  `[{"@type":["ClaimReview"],"url":"https://cek.example/a","claimReviewed":"Gempa 9,8 guncang Labuan Bajo","reviewRating":[{"alternateName":"Salah"}]}]`,
	} {
		rs, err := ParseFile(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rs) != 1 || rs[0].ID != "https://cek.example/a" || rs[0].Claim != "Gempa 9,8 guncang Labuan Bajo" || rs[0].Rating != "Salah" {
			t.Errorf("%s: %+v", name, rs)
		}
	}
	rs, _ := ParseClaimReview([]byte(sampleLD))
	if rs[0].Date != "2024-04-05" || rs[0].ClaimAuthor != "akun X" || rs[0].Publisher != "Cek Fakta" {
		t.Errorf("fields: %+v", rs[0])
	}
	// Round trip through the renderer.
	out, err := ClaimReviewJSON(rs[0], "")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseClaimReview(out)
	if err != nil || back[0] != rs[0] {
		t.Errorf("round trip: %+v, %v\n%s", back, err, out)
	}
	for _, bad := range []string{`{}`, `[`, `{"@type":"ClaimReview"}`, `{"@type":"ClaimReview","claimReviewed":"x"} {}`,
		`{"@type":"ClaimReview","claimReviewed":"x","datePublished":"kemarin"}`} {
		if _, err := ParseFile(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseCSV(t *testing.T) {
	rs, err := ParseFile(strings.NewReader("\ufeffID,Claim,rating,extra\n1,Vaksin polio tidak berguna,hoaks,x\n2,\"Gempa, 9,8\",salah,y\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].Claim != "Gempa, 9,8" || rs[0].Rating != "hoaks" {
		t.Errorf("%+v", rs)
	}
	for in, want := range map[string]string{
		"":                       "empty",
		"id,text\n1,x\n":         `no "claim" column`,
		"id,claim\n":             "no rows",
		"id,claim\n1,\n":         "row 2: claim is empty",
		"id,claim\n1,a\n1,b\n":   "already on row 2",
		"id,claim\n1,\"a\n":      "csv",
		"id,claim,date\n1,a,x\n": "date",
	} {
		_, err := ParseFile(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func FuzzParseClaimReview(f *testing.F) {
	f.Add([]byte(sampleLD))
	f.Add([]byte(`[{"@type":"ClaimReview","claimReviewed":"a"}]`))
	f.Add([]byte(`{"@graph":{"@graph":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseClaimReview(data)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Claim == "" || r.ID == "" {
				t.Fatalf("accepted an empty claim or id: %+v", r)
			}
			if _, err := ClaimReviewJSON(r, ""); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("id,claim\n1,a\n"))
	f.Add([]byte("id,claim,date,rating\n1,\"a,b\",2024-01-02,salah\n"))
	f.Add([]byte("claim;id\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		ids := map[string]bool{}
		for _, r := range rs {
			if r.Claim == "" || r.ID == "" || ids[r.ID] {
				t.Fatalf("accepted %+v", r)
			}
			ids[r.ID] = true
		}
		if _, err := json.Marshal(rs); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzNormalizeMatch(f *testing.F) {
	ix := NewIndex([]Claim{{ID: "a", Text: "Gempa 9,8 guncang Labuan Bajo 4 April 2024"}, {ID: "b", Text: "Vaksin polio tidak berguna"}})
	f.Add("BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO")
	f.Add("𝗨𝗻𝗱𝗶𝗮𝗻 re5mi 13-9-2024 Rp50.000.000 group² anak-anak")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range ix.Match(s, 3) {
			if m.ClaimID != "a" && m.ClaimID != "b" {
				t.Fatalf("unknown claim %q", m.ClaimID)
			}
		}
	})
}
