package patrol_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/patroltest"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

var claims = patroltest.Claims{
	"CLM-1": "surat suara sudah dicoblos di gudang",
	"CLM-2": "server KPU diretas data DPT bocor",
}

func pipeline() *patrol.Pipeline {
	return &patrol.Pipeline{Claims: claims, PII: patroltest.PII{}, OCR: patroltest.OCR{}}
}

func TestProcess(t *testing.T) {
	ctx := context.Background()
	p := pipeline()
	out, err := p.Process(ctx, patrol.Post{URL: "HTTPS://T.me:443/infopemilu/55?utm_source=x&a=1#top", Text: "  Lihat\x00 gambar\n\n\n\nini ",
		Image: []byte("Surat suara sudah dicoblos di gudang, NIK 3201234567890001 dan 3301234567890002")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Key != "https://t.me/infopemilu/55?a=1" || out.Platform != "telegram" {
		t.Errorf("key %q platform %q", out.Key, out.Platform)
	}
	if out.Text != "Lihat gambar\n\nini" {
		t.Errorf("normalised text %q", out.Text)
	}
	if out.OCRStatus != patrol.StepDone || len(out.Matches) != 1 || out.Matches[0].ClaimID != "CLM-1" || out.Matches[0].Why == "" {
		t.Errorf("ocr %q matches %+v", out.OCRStatus, out.Matches)
	}
	if out.PII.NIK != 2 || out.PII.Regions["32"] != 1 || out.PIIStatus != patrol.StepDone {
		t.Errorf("pii %+v", out.PII)
	}
	// Nothing configured: each step says so.
	bare := &patrol.Pipeline{}
	out, err = bare.Process(ctx, patrol.Post{Text: "teks", Image: []byte("x")})
	if err != nil || out.OCRStatus != patrol.StepNotConfigured || out.MatchStatus != patrol.StepNotConfigured || out.PIIStatus != patrol.StepNotConfigured {
		t.Errorf("not configured: %+v %v", out, err)
	}
	out, _ = p.Process(ctx, patrol.Post{Text: "teks", Image: []byte("BAD image")})
	if !strings.HasPrefix(out.OCRStatus, patrol.StepFailed+": tesseract") {
		t.Errorf("a failed OCR is said: %q", out.OCRStatus)
	}
	for _, bad := range []patrol.Post{{}, {Text: " \n\t"}, {URL: "ftp://x/y"}, {URL: "javascript:alert(1)"}, {URL: "/relative"}} {
		if _, err := p.Process(ctx, bad); err == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

func TestItemsStoreAndRights(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := patroltest.NewWorld(t, db)
		dir := t.TempDir()
		saver := patrol.Saver{DB: db, Evidence: evidence.Store{Dir: dir}}
		kom := w.Who["komdigi.analyst"]
		owner := patrol.Owner{OrgID: kom.Org.ID}
		nik := "3201234567890001 3201234567890002"
		proc, err := pipeline().Process(ctx, patrol.Post{URL: "https://t.me/a/1", Text: "Data bocor: " + nik, Engagement: patrol.Engagement{Likes: 5}, Raw: []byte("<html>salinan</html>")})
		if err != nil {
			t.Fatal(err)
		}
		s1, err := saver.Save(ctx, kom.Actor(), owner, proc)
		if err != nil || !s1.New {
			t.Fatalf("save: %+v %v", s1, err)
		}
		proc.Likes = 50
		s2, err := saver.Save(ctx, kom.Actor(), owner, proc)
		if err != nil || s2.New || s2.ID != s1.ID {
			t.Fatalf("seen again: %+v %v", s2, err)
		}
		it, err := patrol.Get(ctx, db, kom, s1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if it.SeenCount != 2 || it.Engagement.Likes != 50 || it.TLP != "AMBER" || it.PII.NIK != 2 || it.Owner != "komdigi" {
			t.Fatalf("item %+v", it)
		}
		// The stored copy is evidence: read back by its hash.
		f, err := evidence.Store{Dir: dir}.Open(patrol.EvidenceFolder, it.Evidence())
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		// Under policy: BSSN is not in Komdigi's lineage (AMBER), Central Java's scope is elsewhere.
		for _, u := range []string{"bssn.analyst", "jateng.analyst"} {
			if _, err := patrol.Get(ctx, db, w.Who[u], s1.ID); !problem.Is(err, problem.NotFound) {
				t.Errorf("%s reads an AMBER item of Komdigi: %v", u, err)
			}
			list, _ := patrol.List(ctx, db, w.Who[u], patrol.Filter{})
			if len(list) != 0 {
				t.Errorf("%s lists %d items", u, len(list))
			}
		}
		// A viewer reads but may not label.
		if _, err := patrol.SetLabel(ctx, db, w.Who["komdigi.viewer"], s1.ID, patrol.DataLeak); !problem.Is(err, problem.Forbidden) {
			t.Errorf("viewer labels: %v", err)
		}
		it, err = patrol.SetLabel(ctx, db, kom, s1.ID, patrol.DataLeak)
		if err != nil || it.Label != patrol.DataLeak || it.LabelledBy != "komdigi.analyst" || it.LabelledAt == nil {
			t.Fatalf("label: %+v %v", it, err)
		}
		if _, err := patrol.SetLabel(ctx, db, kom, s1.ID, "palsu"); !problem.Is(err, problem.Invalid) {
			t.Errorf("unknown label: %v", err)
		}
		if it, err = patrol.LinkClaim(ctx, db, kom, s1.ID, "CLM-2"); err != nil || it.ClaimID != "CLM-2" {
			t.Fatalf("link claim: %v", err)
		}
		list, err := patrol.List(ctx, db, kom, patrol.Filter{Label: "kebocoran_data", Platform: "telegram", PIIOnly: true, ClaimID: "CLM-2"})
		if err != nil || len(list) != 1 {
			t.Fatalf("filtered list: %d %v", len(list), err)
		}
		if _, err := patrol.List(ctx, db, kom, patrol.Filter{Platform: "myspace"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("bad platform: %v", err)
		}
		hist, err := patrol.History(ctx, db, kom, s1.ID)
		if err != nil || len(hist) != 3 || hist[0].Kind != patrol.EventCaptured || hist[1].Kind != patrol.EventLabelled {
			t.Fatalf("history %+v %v", hist, err)
		}
		// No personal-data value in the database: counts only.
		raw, _ := os.ReadFile(filepath.Join(dir, "garda.db"))
		_ = raw // SQLite keeps the captured text itself (the analyst reads it); the audit entry does not hold it:
		var detail string
		if err := db.QueryRow(ctx, `SELECT detail FROM audit_log WHERE action = 'patrol.item.capture'`).Scan(&detail); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(detail, "3201234567890001") {
			t.Errorf("the audit entry holds a NIK: %s", detail)
		}
	})
}

func TestOpenIncidentWithBreach(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := patroltest.NewWorld(t, db)
		kom := w.Who["komdigi.analyst"]
		var b strings.Builder
		for i := range 12 {
			b.WriteString("320123456789" + string(rune('1'+i%9)) + "001 ")
		}
		proc, err := pipeline().Process(ctx, patrol.Post{URL: "https://contoh.invalid/dump", Title: "Dijual data DPT", Text: b.String()})
		if err != nil {
			t.Fatal(err)
		}
		s, err := patrol.Saver{DB: db}.Save(ctx, kom.Actor(), patrol.Owner{OrgID: kom.Org.ID, Region: "32"}, proc)
		if err != nil {
			t.Fatal(err)
		}
		inc, err := patrol.OpenIncident(ctx, db, kom, w.Tree, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		pdp, err := incident.BreachOf(ctx, db, kom, inc.HumanID)
		if err != nil || pdp == nil || pdp.DataSubjects != 12 {
			t.Fatalf("breach record: %+v %v", pdp, err)
		}
		if _, err := patrol.OpenIncident(ctx, db, kom, w.Tree, s.ID); !problem.Is(err, problem.Conflict) {
			t.Errorf("a second incident: %v", err)
		}
		it, _ := patrol.Get(ctx, db, kom, s.ID)
		if it.IncidentID != inc.ID {
			t.Errorf("item keeps the incident: %d", it.IncidentID)
		}
	})
}

// BenchmarkPipeline is the patrol's pace through normalise, OCR, claim
// match and PII with trivial implementations of the interfaces: items/s.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	p := pipeline()
	post := patrol.Post{URL: "https://t.me/infopemilu/55", Title: "Kabar", Text: strings.Repeat("Surat suara sudah dicoblos di gudang KPU, hubungi 081234567890. ", 8),
		Image: []byte("teks gambar 3201234567890001")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Process(ctx, post); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkPipelineStore adds the store (SQLite, audited, one transaction
// per item): items/s to disk.
func BenchmarkPipelineStore(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	w := patroltest.NewWorld(b, db)
	kom := w.Who["komdigi.analyst"]
	saver := patrol.Saver{DB: db}
	p := pipeline()
	i := 0
	for b.Loop() {
		i++
		proc, err := p.Process(ctx, patrol.Post{URL: "https://t.me/infopemilu/" + strings.Repeat("1", 1) + string(rune('a'+i%26)) + "/" + itoa(i), Text: "Surat suara sudah dicoblos di gudang KPU"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := saver.Save(ctx, kom.Actor(), patrol.Owner{OrgID: kom.Org.ID}, proc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

func itoa(i int) string {
	const d = "0123456789"
	if i == 0 {
		return "0"
	}
	var s []byte
	for ; i > 0; i /= 10 {
		s = append([]byte{d[i%10]}, s...)
	}
	return string(s)
}

func TestWeeklyAndSummary(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := patroltest.NewWorld(t, db)
		kom := w.Who["komdigi.analyst"]
		saver := patrol.Saver{DB: db}
		for i, post := range []patrol.Post{
			{URL: "https://t.me/a/1", Text: "surat suara sudah dicoblos di gudang"},
			{URL: "https://x.com/b/status/2", Text: "surat suara sudah dicoblos di gudang"},
			{URL: "https://x.com/b/status/3", Text: "server KPU diretas data DPT bocor 3201234567890001"},
		} {
			proc, err := pipeline().Process(ctx, post)
			if err != nil {
				t.Fatal(err)
			}
			s, err := saver.Save(ctx, kom.Actor(), patrol.Owner{OrgID: kom.Org.ID, Region: "32"}, proc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := patrol.LinkClaim(ctx, db, kom, s.ID, proc.Matches[0].ClaimID); err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				patrol.SetLabel(ctx, db, kom, s.ID, patrol.DataLeak)
			}
		}
		now := store.Now()
		weeks, err := patrol.Weekly(ctx, db, kom, now, 4)
		if err != nil || len(weeks) != 4 {
			t.Fatal(weeks, err)
		}
		if weeks[0].Items != 3 || weeks[0].Issues != 2 || len(weeks[0].Platforms) != 2 || weeks[0].Platforms[0].Platform != "x" || weeks[0].Platforms[0].Issues != 2 {
			t.Fatalf("this week %+v", weeks[0])
		}
		if weeks[1].Items != 0 {
			t.Errorf("last week %+v", weeks[1])
		}
		s, err := patrol.Summarise(ctx, db, kom, "32", now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil || s.Items != 3 || s.Issues != 2 || s.WithPII != 1 || s.NIKs != 1 || s.Violations != 1 || s.Platforms["x"].Items != 2 || !s.TLPs["AMBER"] {
			t.Fatalf("summary %+v %v", s, err)
		}
		if s, _ := patrol.Summarise(ctx, db, kom, "33", now.Add(-time.Hour), now.Add(time.Hour)); s.Items != 0 {
			t.Errorf("another region's summary counts %d", s.Items)
		}
		if s, _ := patrol.Summarise(ctx, db, w.Who["bssn.analyst"], "", now.Add(-time.Hour), now.Add(time.Hour)); s.Items != 0 {
			t.Errorf("BSSN counts %d AMBER items of Komdigi", s.Items)
		}
	})
}

// TestSaveConcurrently: instances storing the same post at once make one
// item, seen as often as it was stored.
func TestSaveConcurrently(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := patroltest.NewWorld(t, db)
		kom := w.Who["komdigi.analyst"]
		proc, err := pipeline().Process(ctx, patrol.Post{URL: "https://t.me/a/77", Text: "sama"})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 6)
		for range 6 {
			go func() {
				_, err := patrol.Saver{DB: db}.Save(ctx, kom.Actor(), patrol.Owner{OrgID: kom.Org.ID}, proc)
				errs <- err
			}()
		}
		for range 6 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		list, _ := patrol.List(ctx, db, kom, patrol.Filter{})
		if len(list) != 1 || list[0].SeenCount != 6 {
			t.Fatalf("%d items, seen %d", len(list), list[0].SeenCount)
		}
	})
}
