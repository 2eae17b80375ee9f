package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/decision"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/report"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func str(s string) *string { return &s }

// codeLabels names a code by its group and itself, so that a test sees
// which label the report asked for (the web package's table is tested
// there).
type codeLabels struct{}

func (codeLabels) L(group, code string) string { return group + ":" + code }

func (codeLabels) ScenarioTitle(id, title string) string { return "scenario:" + id }

// world: two incidents and an alert and a block in Jawa Barat, one
// critical incident in Jawa Tengah, all GREEN so only scope separates them.
func newWorld(t *testing.T, db *store.DB) map[string]auth.Principal {
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree, _ := org.Load(ctx, db)
	who := map[string]auth.Principal{}
	for _, n := range []auth.NewUser{
		{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
		{Username: "jateng.analyst", Org: "kpu-33", Role: "analyst", Scope: "33"},
		{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Scope: ""},
	} {
		n.Password = "password-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		who[n.Username], _ = auth.PrincipalOf(u, tree)
	}
	create := func(user string, in incident.Input) {
		in.TLP = str("GREEN")
		if _, err := incident.Create(ctx, db, who[user], tree, in); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-3 * time.Hour)
	create("jabar.analyst", incident.Input{Title: str("Defacement situs KPU"), Category: str("intrusions"), Severity: str("high"), Region: str("32"), DetectedAt: &old})
	create("jabar.analyst", incident.Input{Title: str("Phishing"), Category: str("fraud"), Severity: str("medium"), Region: str("32.04")})
	create("jateng.analyst", incident.Input{Title: str("DDoS Sirekap"), Category: str("availability"), Severity: str("critical"), Region: str("33")})

	name, kind, reg := "KPU Jabar", "site", "32"
	a, err := asset.Create(ctx, db, who["jabar.analyst"], tree, asset.Input{Name: &name, Kind: &kind, Region: &reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := alert.Record(ctx, db, []alert.Signal{{Scenario: "http-sqli", Title: "SQLi", Severity: "high", SourceIP: "203.0.113.7",
		AssetID: a.ID, Time: time.Now(), Count: 1, Fields: map[string]string{"url.original": "/x"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := decision.Create(ctx, db, who["jabar.analyst"], decision.Input{Value: "203.0.113.7", Reason: "SQLi"}); err != nil {
		t.Fatal(err)
	}
	return who
}

func TestDailyReport(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := newWorld(t, db)

		jabar, err := report.Build(ctx, db, who["jabar.analyst"], report.Params{Labels: codeLabels{}})
		if err != nil {
			t.Fatal(err)
		}
		if jabar.Region != "32" || jabar.Incidents.Opened != 2 || jabar.Incidents.Open != 2 || jabar.Incidents.OpenThatDay != 2 {
			t.Fatalf("jabar incidents %+v", jabar.Incidents)
		}
		// The high incident detected 3 hours ago has missed its first response (4h? no: 4h not yet) —
		// its BSSN clock runs 24h; nothing is missed yet.
		if jabar.Alerts.Raised != 1 || jabar.Alerts.Open != 1 || jabar.Blocks.Made != 1 || jabar.Blocks.Active != 1 {
			t.Fatalf("jabar alerts %+v blocks %+v", jabar.Alerts, jabar.Blocks)
		}
		if len(jabar.OpenCritical) != 1 || jabar.OpenCritical[0].Severity != "high" || jabar.Incidents.ByProvince != nil {
			t.Fatalf("jabar open critical %+v, provinces %+v", jabar.OpenCritical, jabar.Incidents.ByProvince)
		}
		if got := row(jabar.Incidents.ByCategory, "availability"); got.Day != 0 {
			t.Fatalf("jabar sees Jawa Tengah's availability incident: %+v", got)
		}
		if got := row(jabar.Incidents.ByCategory, "intrusions"); got.Day != 1 || got.Label != "icat:intrusions" {
			t.Fatalf("intrusions %+v", got)
		}

		jateng, err := report.Build(ctx, db, who["jateng.analyst"], report.Params{Labels: codeLabels{}})
		if err != nil {
			t.Fatal(err)
		}
		if jateng.Incidents.Opened != 1 || jateng.Alerts.Raised != 0 || jateng.Blocks.Made != 0 ||
			len(jateng.OpenCritical) != 1 || jateng.OpenCritical[0].Severity != "critical" {
			t.Fatalf("jateng %+v %+v %+v %+v", jateng.Incidents, jateng.Alerts, jateng.Blocks, jateng.OpenCritical)
		}

		nation, err := report.Build(ctx, db, who["bssn.analyst"], report.Params{Labels: codeLabels{}})
		if err != nil {
			t.Fatal(err)
		}
		if nation.Incidents.Opened != 3 || row(nation.Incidents.ByProvince, "32").Day != 2 || row(nation.Incidents.ByProvince, "33").Day != 1 ||
			nation.RegionName != "Nasional" || len(nation.OpenCritical) != 2 || nation.OpenCritical[0].Severity != "critical" {
			t.Fatalf("nation %+v %+v", nation.Incidents, nation.OpenCritical)
		}
		// The nation narrowed to Jawa Barat counts what Jawa Barat's reader does.
		nj, err := report.Build(ctx, db, who["bssn.analyst"], report.Params{Region: "32", RegionSet: true, Labels: codeLabels{}})
		if err != nil || nj.Incidents.Opened != 2 || nj.Alerts.Raised != 1 {
			t.Fatalf("nation/32 %+v %v", nj, err)
		}

		// Yesterday: nothing was reported.
		y := time.Now().In(report.WIB).AddDate(0, 0, -1).Format(report.DateLayout)
		past, err := report.Build(ctx, db, who["jabar.analyst"], report.Params{Date: y, Labels: codeLabels{}})
		if err != nil || past.Incidents.Opened != 0 || past.Alerts.Raised != 0 || past.Incidents.Open != 2 {
			t.Fatalf("yesterday %+v %v", past, err)
		}

		// Bad requests.
		for _, p := range []report.Params{
			{Region: "33", RegionSet: true}, // outside the scope
			{Region: "", RegionSet: true},   // the nation, for a provincial reader
			{Region: "99.99", RegionSet: true},
			{Date: "14-02-2024"},
			{Date: time.Now().AddDate(0, 0, 3).Format(report.DateLayout)},
		} {
			p.Labels = codeLabels{}
			if _, err := report.Build(ctx, db, who["jabar.analyst"], p); !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: %v", p, err)
			}
		}

		// Markdown and PDF carry the same figures.
		md := string(jabar.Markdown())
		for _, f := range jabar.Figures() {
			if want := "| " + f.Label + " | " + strconv.Itoa(f.Value) + " |"; !strings.Contains(md, want) {
				t.Errorf("markdown lacks %q", want)
			}
		}
		if !strings.Contains(md, "Kabupaten Bandung") && !strings.Contains(md, "Jawa Barat") {
			t.Errorf("markdown names no region:\n%s", md)
		}
		pdf := jabar.PDF()
		CheckPDF(t, pdf)
		text := PDFText(t, pdf)
		if text != "" {
			for _, f := range jabar.Figures() {
				re := regexp.MustCompile(regexp.QuoteMeta(f.Label) + `\s+` + strconv.Itoa(f.Value) + `\b`)
				if !re.MatchString(text) {
					t.Errorf("pdftotext lacks %q = %d:\n%s", f.Label, f.Value, text)
				}
			}
			if !strings.Contains(text, "Defacement situs KPU") || !strings.Contains(text, "Jawa Barat") {
				t.Errorf("pdf text:\n%s", text)
			}
		}
	})
}

func row(rows []report.Row, key string) report.Row {
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	return report.Row{}
}

func TestPDFWriter(t *testing.T) {
	p := report.NewPDF()
	for i := 0; i < 120; i++ { // several pages
		p.Row([]string{"Baris " + strconv.Itoa(i), "(kurung) \\ garis", "Śląsk – café"}, []float64{0, 0.4, 0.7}, i == 0)
	}
	b := p.Bytes()
	if n := CheckPDF(t, b); n < 3 {
		t.Fatalf("%d objects: expected several pages", n)
	}
	if text := PDFText(t, b); text != "" && (!strings.Contains(text, "Baris 119") || !strings.Contains(text, "(kurung) \\ garis") ||
		!strings.Contains(text, "Slask – café")) {
		t.Fatalf("text:\n%s", text)
	}
}

// CheckPDF checks the header, and that every xref entry points at its
// object; it returns the number of objects.
func CheckPDF(t *testing.T, b []byte) int {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatalf("not a PDF: %q...", b[:min(20, len(b))])
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	rest := string(b[off:])
	if !strings.HasPrefix(rest, "xref\n0 ") {
		t.Fatalf("startxref %d points at %q", off, rest[:min(20, len(rest))])
	}
	lines := strings.Split(rest, "\n")
	n, _ := strconv.Atoi(strings.Fields(lines[1])[1])
	if lines[2] != "0000000000 65535 f " {
		t.Fatalf("entry 0: %q", lines[2])
	}
	for i := 1; i < n; i++ {
		e := lines[2+i]
		if len(e)+1 != 20 || !strings.HasSuffix(e, " 00000 n ") {
			t.Fatalf("entry %d: %q", i, e)
		}
		o, _ := strconv.Atoi(e[:10])
		if want := strconv.Itoa(i) + " 0 obj\n"; !bytes.HasPrefix(b[o:], []byte(want)) {
			t.Fatalf("entry %d points at %q", i, b[o:o+min(12, len(b)-o)])
		}
	}
	if !strings.HasPrefix(lines[2+n], "trailer") || !strings.Contains(rest, "/Size "+strconv.Itoa(n)) {
		t.Fatalf("trailer: %q", lines[2+n])
	}
	return n - 1
}

// PDFText reads a PDF back with pdftotext; "" when the tool is missing.
func PDFText(t *testing.T, b []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed: PDF text not checked")
		return ""
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("Syntax Error")) {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// TestMarkdownEscapesPeoplesText: an incident's title with a link or HTML
// goes into the report as text, never as markup.
func TestMarkdownEscapesPeoplesText(t *testing.T) {
	r := &report.Report{Labels: codeLabels{}, RegionName: "Nasional", Reader: "a_b", ReaderOrg: "<b>Org</b>", OpenCritical: []report.Item{
		{HumanID: "INS-2026-0001", Title: "[click](javascript:alert(1)) <script>alert(1)</script> | kolom", Severity: "high", Status: "new", RegionName: "Nasional"},
	}}
	md := string(r.Markdown())
	for _, bad := range []string{"[click]", "<script>", "<b>", " | kolom"} {
		if strings.Contains(md, bad) {
			t.Errorf("the report keeps %q as markup:\n%s", bad, md)
		}
	}
	for _, want := range []string{`\[click\](javascript:alert(1))`, "&lt;script&gt;", `\| kolom`, "&lt;b&gt;Org&lt;/b&gt;", `a\_b`} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

// TestReportTLP: a report is marked with the strictest label among the
// records it counts or lists, as its reader sees them: West Java's counts
// an AMBER alert, Central Java's only GREEN incidents; a RED incident
// makes West Java's report RED, and not Central Java's.
func TestReportTLP(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := newWorld(t, db)
		tlp := func(user string) policy.TLP {
			t.Helper()
			r, err := report.Build(ctx, db, who[user], report.Params{Labels: codeLabels{}})
			if err != nil {
				t.Fatal(err)
			}
			return r.TLP
		}
		if a, b := tlp("jabar.analyst"), tlp("jateng.analyst"); a != policy.Amber || b != policy.Green {
			t.Fatalf("West Java's report %s (want AMBER), Central Java's %s (want GREEN)", a, b)
		}
		tree, _ := org.Load(ctx, db)
		if _, err := incident.Create(ctx, db, who["jabar.analyst"], tree, incident.Input{Title: str("Sumber tertutup"), Region: str("32"), TLP: str("RED")}); err != nil {
			t.Fatal(err)
		}
		if a, b := tlp("jabar.analyst"), tlp("jateng.analyst"); a != policy.Red || b != policy.Green {
			t.Fatalf("with a RED incident: West Java's report %s (want RED), Central Java's %s (want GREEN)", a, b)
		}
	})
}

// TestReportPDFLayout: every page of a report's PDF carries its TLP and
// "Halaman N dari M", and a long title is wrapped whole, never cut.
func TestReportPDFLayout(t *testing.T) {
	long := "Data pemilih diduga dijual di forum peretas bersama salinan KTP elektronik dan kartu keluarga dari tiga kabupaten"
	r := &report.Report{Labels: codeLabels{}, RegionName: "Jawa Barat", Date: "2026-12-06", Reader: "analis.jabar", ReaderOrg: "KPU Provinsi Jawa Barat", TLP: policy.Amber}
	for i := 0; i < 40; i++ {
		r.OpenCritical = append(r.OpenCritical, report.Item{HumanID: "INC-2026-" + strconv.Itoa(100+i), Title: long, Severity: "critical",
			Status: "triage", RegionName: "Kabupaten Bandung Barat"})
	}
	b := r.PDF()
	CheckPDF(t, b)
	text := PDFText(t, b)
	if text == "" {
		return
	}
	pages := strings.Split(strings.TrimSuffix(text, "\f"), "\f")
	if len(pages) < 3 {
		t.Fatalf("%d pages, want several", len(pages))
	}
	for i, pg := range pages {
		if n := strings.Count(pg, "TLP:AMBER"); n != 2 {
			t.Errorf("page %d carries TLP:AMBER %d times, want twice (head and foot):\n%s", i+1, n, pg)
		}
		if want := "Halaman " + strconv.Itoa(i+1) + " dari " + strconv.Itoa(len(pages)); !strings.Contains(pg, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
	}
	raw := strings.Join(strings.Fields(pdfTextRaw(t, b)), " ")
	if n := strings.Count(raw, long); n != 40 {
		t.Errorf("the long title appears whole %d times, want 40:\n%s", n, raw)
	}
	if strings.Contains(text, "dijual di .") || strings.Contains(text, "…") {
		t.Errorf("a title was cut:\n%s", text)
	}
}

// TestPDFRunningHeaderFits: a running header too long for its line is cut
// with an ellipsis (WinAnsi's, 0x85), short of the marking.
func TestPDFRunningHeaderFits(t *testing.T) {
	p := report.NewPDF()
	p.Title = strings.Repeat("Laporan yang sangat panjang ", 10) + "AKHIR"
	p.Marking = &report.Marking{Text: "TLP:RED", Fg: [3]float64{1, 0.169, 0.169}}
	p.Text("isi", 10, false)
	b := p.Bytes()
	CheckPDF(t, b)
	if !bytes.Contains(b, []byte(`\205) Tj`)) || bytes.Contains(b, []byte("AKHIR")) {
		t.Errorf("the header is not cut with an ellipsis")
	}
	if text := PDFText(t, b); text != "" && (!strings.Contains(text, "panjang…") || !strings.Contains(text, "TLP:RED")) {
		t.Errorf("text:\n%s", text)
	}
}

// pdfTextRaw is PDFText in the content's own order, a cell's lines
// together.
func pdfTextRaw(t *testing.T, b []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-raw", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// TestSigmaAlertsByFamily: the alerts of Sigma rules are counted one row per
// rule family, named by the labels (never by a rule id).
func TestSigmaAlertsByFamily(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree, _ := org.Load(ctx, db)
	u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "bssn.analyst", Org: "bssn", Role: "analyst", Password: "password-long-enough"})
	if err != nil {
		t.Fatal(err)
	}
	who, _ := auth.PrincipalOf(u, tree)
	name, kind := "Sirekap", "web_app"
	a, err := asset.Create(ctx, db, who, tree, asset.Input{Name: &name, Kind: &kind})
	if err != nil {
		t.Fatal(err)
	}
	var sigs []alert.Signal
	for i, rule := range [][2]string{{"sigma-65354b83-a2ea-4ea6-8414-3ab38be0d409", "Cross Site Scripting Strings"},
		{"sigma-00000000-0000-4000-8000-000000000001", "XSS Payload In Query"}, {"sigma-5513deaf-f49a-46c2-a6c8-3f111b5cb453", "SQL Injection Strings In URI"}} {
		sigs = append(sigs, alert.Signal{Scenario: rule[0], Title: rule[1], Severity: "high", SourceIP: "203.0.113." + strconv.Itoa(i+1),
			AssetID: a.ID, Time: time.Now(), Count: 1, Fields: map[string]string{"url.original": "/x"}})
	}
	if _, _, err := alert.Record(ctx, db, sigs); err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(ctx, db, who, report.Params{Labels: codeLabels{}})
	if err != nil {
		t.Fatal(err)
	}
	if xss, sqli := row(r.Alerts.ByScenario, "sigma:xss"), row(r.Alerts.ByScenario, "sigma:sqli"); len(r.Alerts.ByScenario) != 2 ||
		xss.Day != 2 || sqli.Day != 1 || !strings.HasPrefix(xss.Label, "scenario:sigma-") {
		t.Fatalf("alerts by scenario: %+v", r.Alerts.ByScenario)
	}
	if _, err := report.Build(ctx, db, who, report.Params{}); err == nil {
		t.Error("a report without labels was built")
	}
}
