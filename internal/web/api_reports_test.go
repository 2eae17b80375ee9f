package web

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/report"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestAPIDailyReport(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newAPIWorld(t, db)
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Defacement","category":"intrusions","severity":"high","region":"32","tlp":"GREEN"}`, 201, nil)
		w.call("jabar.analyst", "POST", "/api/v1/incidents", `{"title":"Phishing","category":"fraud","region":"32.04","tlp":"GREEN"}`, 201, nil)

		var rep report.Report
		w.call("jabar.analyst", "GET", "/api/v1/reports/daily", "", 200, &rep)
		if rep.Region != "32" || rep.Incidents.Opened != 2 || len(rep.OpenCritical) != 1 {
			t.Fatalf("jabar %+v", rep)
		}
		var other report.Report
		w.call("jateng.viewer", "GET", "/api/v1/reports/daily", "", 200, &other)
		if other.Incidents.Opened != 0 || len(other.OpenCritical) != 0 {
			t.Fatalf("jateng sees Jawa Barat: %+v", other.Incidents)
		}
		w.call("jabar.analyst", "GET", "/api/v1/reports/daily?date=2024-13-01", "", 400, nil)
		w.call("jabar.analyst", "GET", "/api/v1/reports/daily?region=33", "", 400, nil)
		w.call("jabar.analyst", "GET", "/api/v1/reports/daily?region=", "", 400, nil)
		w.call("jabar.analyst", "GET", "/api/v1/reports/daily?format=doc", "", 400, nil)
		w.call("", "GET", "/api/v1/reports/daily", "", 401, nil)

		get := func(path, ctype string) []byte {
			req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+w.tokens["jabar.analyst"])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) ||
				!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment; filename=\"laporan-harian-32-") {
				t.Fatalf("%s: %d %v %s", path, res.StatusCode, res.Header, b)
			}
			return b
		}
		md := string(get("/api/v1/reports/daily?format=md&region=32", "text/markdown"))
		for _, f := range rep.Figures() {
			if want := "| " + f.Label + " | " + strconv.Itoa(f.Value) + " |"; !strings.Contains(md, want) {
				t.Errorf("markdown lacks %q", want)
			}
		}
		pdf := get("/api/v1/reports/daily?format=pdf", "application/pdf")
		if !strings.HasPrefix(string(pdf), "%PDF-1.4") {
			t.Fatalf("pdf %q", pdf[:20])
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Log("pdftotext not installed (apt-get install poppler-utils): the PDF's figures were not read back")
		} else {
			f := filepath.Join(t.TempDir(), "r.pdf")
			os.WriteFile(f, pdf, 0o600)
			out, err := exec.Command("pdftotext", "-layout", f, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, fig := range rep.Figures() {
				if !regexp.MustCompile(regexp.QuoteMeta(fig.Label) + `\s+` + strconv.Itoa(fig.Value) + `\b`).Match(out) {
					t.Errorf("PDF disagrees with JSON on %q = %d:\n%s", fig.Label, fig.Value, out)
				}
			}
		}
	})
}
