package demo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/analysis"
	"github.com/garda-id/garda/internal/store"
)

// demoPosts are what the demo patrol "found": election hoaxes, a voter
// data sale, ordinary news. Every number in them is invented: the NIK-like
// digits belong to no one (the sale's counts are set, never its values).
var demoPosts = []struct {
	post  patrol.Post
	label patrol.Label
	niks  int
	claim string
	ago   time.Duration
}{
	{patrol.Post{URL: "https://t.me/kabarpemiludemo/101", Author: "Kabar Pemilu (demo)", Text: "Surat suara Pemilu sudah dicoblos di gudang KPU sebelum hari pemungutan! Sebarkan sebelum dihapus.",
		Engagement: patrol.Engagement{Likes: 4200, Shares: 3100, Comments: 800, Views: 120000}}, patrol.Hoax, 0, "demo-1", 3 * time.Hour},
	{patrol.Post{URL: "https://x.com/infotpsdemo/status/1755555555555555555", Author: "@infotpsdemo", Text: "Sirekap ubah hasil TPS tengah malam, 5 juta suara hilang #pemilu",
		Engagement: patrol.Engagement{Likes: 2000, Shares: 1000, Comments: 80, Views: 150000}}, patrol.Disinfo, 0, "demo-2", 5 * time.Hour},
	{patrol.Post{URL: "https://forum-dump.example.id/thread/dpt-jabar", Title: "Dijual: data DPT Jawa Barat 2 juta baris", Text: "Sampel: NIK, nama, alamat, TPS. Harga nego. (contoh demo, angka disamarkan)"},
		patrol.DataLeak, 1200, "", 2 * time.Hour},
	{patrol.Post{URL: "https://www.facebook.com/relawan.demo/posts/111", Author: "Relawan Digital (demo)", Text: "Kotak suara dibuka sebelum hari H di TPS 7",
		Engagement: patrol.Engagement{Likes: 1000, Shares: 300, Comments: 230}}, "", 0, "", 50 * time.Minute},
	{patrol.Post{URL: "https://www.tiktok.com/@akundemo/video/1", Author: "@akundemo", Text: "Video: petugas KPPS memindahkan surat suara (tanpa konteks)",
		Engagement: patrol.Engagement{Likes: 15000, Shares: 2600, Comments: 900, Views: 400000}}, "", 0, "", 20 * time.Minute},
	{patrol.Post{URL: "https://berita.example.id/2024/02/jadwal-debat", Title: "Jadwal debat calon presiden", Text: "KPU mengumumkan jadwal debat ketiga."},
		patrol.NotViolation, 0, "", 26 * time.Hour},
	{patrol.Post{PostID: "1234567890/77", Platform: "telegram", Author: "Grup WA terusan (demo)", Text: "Pemilu diundur ke 2025, kata sumber internal"},
		"", 0, "", 8 * time.Minute},
}

// demoFactChecks are the demo's fact-check database: invented reviews, in
// the words Indonesian fact-checkers use, that some demo posts repeat.
var demoFactChecks = []claim.Review{
	{ID: "demo-1", Claim: "Surat suara pemilu sudah dicoblos di gudang KPU sebelum hari pemungutan suara", Title: "[HOAKS] Surat Suara Sudah Dicoblos di Gudang KPU",
		Rating: "hoaks", URL: "https://cekfakta.example.id/2024/01/surat-suara-dicoblos", Date: "2024-01-10", Publisher: "Cek Fakta (demo)"},
	{ID: "demo-2", Claim: "Sirekap mengubah hasil suara TPS pada tengah malam, 5 juta suara hilang", Title: "[DISINFORMASI] Sirekap Ubah Hasil TPS Tengah Malam",
		Rating: "disinformasi", URL: "https://cekfakta.example.id/2024/02/sirekap-ubah-hasil", Date: "2024-02-16", Publisher: "Cek Fakta (demo)"},
	{ID: "demo-3", Claim: "Pemilu 2024 diundur ke tahun 2025", Title: "[HOAKS] Pemilu Diundur ke 2025",
		Rating: "hoaks", URL: "https://cekfakta.example.id/2023/11/pemilu-diundur", Date: "2023-11-20", Publisher: "Cek Fakta (demo)"},
	{ID: "demo-4", Claim: "Kotak suara dibuka sebelum hari pemungutan suara di TPS", Title: "[MENYESATKAN] Kotak Suara Dibuka Sebelum Hari H",
		Rating: "menyesatkan", URL: "https://cekfakta.example.id/2024/02/kotak-suara-dibuka", Date: "2024-02-12", Publisher: "Cek Fakta (demo)"},
}

// seedPatrol adds the cyber patrol's demo sources and items, owned by the
// communications ministry's patrol (patroli.komdigi). It adds nothing
// when the patrol already has items.
func seedPatrol(ctx context.Context, db *store.DB, tree *org.Tree, dataDir string) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM patrol_items`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	who, err := principal(ctx, db, tree, "patroli.komdigi")
	if err != nil {
		return 0, err
	}
	var importSrc patrol.Source
	for _, in := range []patrol.SourceInput{
		{Name: "Portal berita (contoh RSS)", Type: patrol.Feed, URL: "https://berita.example.id/rss", Platform: "web", Every: 30},
		{Name: "Peta situs portal (contoh)", Type: patrol.Sitemap, URL: "https://berita.example.id/sitemap.xml", Platform: "web", Every: 120},
		{Name: "Forum jual-beli data (contoh perayapan)", Type: patrol.Crawl, URL: "https://forum-dump.example.id/", Every: 60, Crawl: patrol.CrawlConfig{MaxDepth: 2, MaxPages: 200, RPS: 1}},
		{Name: "Ekspor kanal Telegram dan X", Type: patrol.Import},
	} {
		src, err := patrol.CreateSource(ctx, db, who, in)
		if err != nil {
			return 0, fmt.Errorf("demo patrol source %s: %w", in.Name, err)
		}
		if src.Type == patrol.Import {
			importSrc = src
		}
	}
	// The fact-checks first, so that the pipeline matches the items
	// against them as the running patrol does.
	checkDB := claim.NewService(db)
	checks, err := checkDB.Import(ctx, who, demoFactChecks, claim.Placement{})
	if err != nil {
		return 0, fmt.Errorf("demo fact-checks: %w", err)
	}
	checkID := map[string]string{}
	for i, rv := range demoFactChecks {
		if i < len(checks.IDs) {
			checkID[rv.ID] = strconv.FormatInt(checks.IDs[i], 10)
		}
	}
	saver := patrol.Saver{DB: db, Evidence: evidence.Store{Dir: dataDir}}
	pipe := analysis.Pipeline(checkDB)
	for _, d := range demoPosts {
		proc, err := pipe.Process(ctx, d.post)
		if err != nil {
			return n, fmt.Errorf("demo patrol item: %w", err)
		}
		if d.niks > 0 {
			proc.PII, proc.PIIStatus = patrol.PIICounts{NIK: d.niks, Phone: d.niks / 3, Regions: map[string]int{"32": d.niks}}, patrol.StepDone
		}
		owner := importSrc.ItemOwner()
		saved, err := saver.Save(ctx, who.Actor(), owner, proc)
		if err != nil {
			return n, fmt.Errorf("demo patrol item: %w", err)
		}
		at := store.Now().Add(-d.ago)
		if _, err := db.Exec(ctx, `UPDATE patrol_items SET first_seen = ?, last_seen = ? WHERE id = ?`, at, at, saved.ID); err != nil {
			return n, err
		}
		if d.label != "" {
			if _, err := patrol.SetLabel(ctx, db, who, saved.ID, d.label); err != nil {
				return n, err
			}
		}
		if d.claim != "" {
			if _, err := patrol.LinkClaim(ctx, db, who, saved.ID, checkID[d.claim]); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, nil
}
