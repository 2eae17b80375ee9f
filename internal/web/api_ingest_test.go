package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIngestEndpoint sends access-log lines as a log shipper would: plain
// and gzip bodies are stored on the bus and counted, bad lines are counted
// as rejected, and the endpoint refuses what it must.
func TestIngestEndpoint(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 64 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	w := newAPIWorld(t, db)
	s, err := New(Deps{DB: db, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Close()
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	var a struct {
		ID int64 `json:"id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"KPU Jabar","kind":"site","region":"32","tlp":"GREEN"}`, 201, &a)

	line := `36.70.1.%d - - [14/Feb/2024:09:00:00 +0700] "GET /berita/%d HTTP/1.1" 200 512 "-" "Mozilla/5.0"`
	var body strings.Builder
	for i := range 100 {
		fmt.Fprintf(&body, line+"\n", i%250+1, i)
	}
	body.WriteString("garbage that is no log line\n")
	body.WriteString(strings.Repeat("x", 2<<20) + "\n") // over the line limit

	post := func(user string, body io.Reader, query string, gz bool) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/ingest/%d%s", w.srv.URL, a.ID, query), body)
		req.Header.Set("Authorization", "Bearer "+w.tokens[user])
		req.Header.Set("Content-Type", "text/plain")
		if gz {
			req.Header.Set("Content-Encoding", "gzip")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res, string(out)
	}
	res, out := post("jabar.analyst", strings.NewReader(body.String()), "", false)
	if res.StatusCode != 200 || !strings.Contains(out, `"accepted":100`) || !strings.Contains(out, `"rejected":2`) {
		t.Fatalf("plain body: %d %s", res.StatusCode, out)
	}
	// Refused lines are counted by asset, format and reason, for /metrics
	// and the asset's page.
	if got := fmt.Sprint(s.rejectedLines.Samples(strconv.FormatInt(a.ID, 10))); got != fmt.Sprintf("[{[%d nginx bad_client_address] 1} {[%d nginx too_long] 1}]", a.ID, a.ID) {
		t.Errorf("rejected lines counted as %s", got)
	}
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	for i := range 50 {
		fmt.Fprintf(zw, line+"\n", i+1, i)
	}
	zw.Close()
	if res, out := post("jabar.analyst", &zipped, "?format=nginx", true); res.StatusCode != 200 || !strings.Contains(out, `"accepted":50`) {
		t.Fatalf("gzip body: %d %s", res.StatusCode, out)
	}
	st, err := b.StreamStats(ctx, bus.Events)
	if err != nil || st.Messages == 0 {
		t.Fatalf("events stream: %+v %v", st, err)
	}
	if res, out := post("jabar.analyst", strings.NewReader("x\n"), "?format=klingon", false); res.StatusCode != 400 || !strings.Contains(out, "unknown format") {
		t.Errorf("unknown format: %d %s", res.StatusCode, out)
	}
	if res, _ := post("diskominfo.jabar", strings.NewReader("x\n"), "", false); res.StatusCode != 403 {
		t.Errorf("an operator sends logs: %d", res.StatusCode)
	}
	if res, _ := post("jateng.viewer", strings.NewReader("x\n"), "", false); res.StatusCode != 404 {
		t.Errorf("another province's asset: %d", res.StatusCode)
	}
	// Back-pressure: with every slot taken, the answer is 429 with Retry-After.
	for range cap(s.ingestSlots) {
		s.ingestSlots <- struct{}{}
	}
	res, _ = post("jabar.analyst", strings.NewReader(body.String()), "", false)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("busy: %d", res.StatusCode)
	}
}
