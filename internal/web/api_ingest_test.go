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
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

// TestIngestEndpoint sends access-log lines as a log shipper would: plain
// and gzip bodies are stored on the bus and counted, bad lines are counted
// as rejected, and the endpoint refuses what it must.
func TestIngestEndpoint(t *testing.T) {
	ctx := context.Background()
	w, s, b, assetID := ingestWorld(t, Deps{})
	a := struct{ ID int64 }{assetID}

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

// ingestWorld is an API world whose server has a bus, with a GREEN asset
// of KPU Jawa Barat (created by jabar.analyst).
func ingestWorld(t *testing.T, d Deps) (*apiWorld, *Server, *bus.Bus, int64) {
	t.Helper()
	ctx := context.Background()
	db := storetest.SQLite(t)
	b, err := bus.Open(ctx, bus.Config{DataDir: t.TempDir(), EventMaxBytes: 256 << 20}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	w := newAPIWorld(t, db)
	d.DB, d.Bus = db, b
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Close()
	w.srv = httptest.NewServer(s.Handler())
	w.Srv = w.srv // the world's calls go to this server
	t.Cleanup(w.srv.Close)
	var a struct {
		ID int64 `json:"id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"KPU Jabar","kind":"site","region":"32","tlp":"GREEN"}`, 201, &a)
	return w, s, b, a.ID
}

// ingestPost posts a body to an asset's ingest endpoint with the given
// headers, and returns the status and the answer.
func ingestPost(t *testing.T, w *apiWorld, assetID int64, body io.Reader, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/ingest/%d", w.srv.URL, assetID), body)
	req.Header.Set("Content-Type", "text/plain")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, string(out)
}

func storedEvents(t *testing.T, b *bus.Bus) uint64 {
	t.Helper()
	st, err := b.StreamStats(context.Background(), bus.Events)
	if err != nil {
		t.Fatal(err)
	}
	return st.Messages
}

func accessLines(n int) string {
	var body strings.Builder
	for i := range n {
		fmt.Fprintf(&body, `192.0.2.%d - - [14/Feb/2024:09:00:00 +0700] "GET /berita/%d HTTP/1.1" 200 512 "-" "Mozilla/5.0"`+"\n", i%250+1, i)
	}
	return body.String()
}

// TestIngestSenders: only the asset's owner, or a sender holding the
// asset's ingest key, sends its logs; every accepted batch is audited with
// its sender.
func TestIngestSenders(t *testing.T) {
	ctx := context.Background()
	w, _, b, assetID := ingestWorld(t, Deps{})
	lines := accessLines(30)
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	// Analysts of other agencies read the GREEN asset, but may not send
	// its logs: before, any reader's forged lines raised alerts and bans.
	for _, u := range []string{"bssn.analyst", "kpu.analyst"} {
		if res, out := ingestPost(t, w, assetID, strings.NewReader(lines), bearer(w.tokens[u])); res.StatusCode != 403 || !strings.Contains(out, "owner") {
			t.Errorf("%s sends the logs of another agency's asset: %d %s", u, res.StatusCode, out)
		}
	}
	if n := storedEvents(t, b); n != 0 {
		t.Fatalf("refused senders stored %d messages", n)
	}
	if res, out := ingestPost(t, w, assetID, strings.NewReader(lines), bearer(w.tokens["jabar.analyst"])); res.StatusCode != 200 || !strings.Contains(out, `"accepted":30`) {
		t.Fatalf("the owner's analyst: %d %s", res.StatusCode, out)
	}

	// Keys: the owner registers one; others may not see or make them.
	keysPath := fmt.Sprintf("/api/v1/assets/%d/ingest-keys", assetID)
	w.call("bssn.analyst", "POST", keysPath, `{"name":"edge-nginx"}`, 403, nil)
	w.call("kpu.analyst", "GET", keysPath, "", 403, nil)
	w.call("jateng.viewer", "GET", keysPath, "", 404, nil)
	var made struct {
		Key       string `json:"key"`
		IngestKey struct {
			ID     int64  `json:"id"`
			Prefix string `json:"prefix"`
		} `json:"ingest_key"`
	}
	w.call("jabar.analyst", "POST", keysPath, `{"name":"edge-nginx"}`, 201, &made)
	if !strings.HasPrefix(made.Key, "garda_ingest_") || !strings.HasPrefix(made.Key, made.IngestKey.Prefix) {
		t.Fatalf("new key: %+v", made)
	}
	w.call("jabar.analyst", "POST", keysPath, `{"name":"edge-nginx"}`, 409, nil)
	w.call("jabar.analyst", "POST", keysPath, `{"name":"../x"}`, 400, nil)
	var stored string
	if err := w.db.QueryRow(ctx, `SELECT key_hash FROM ingest_keys WHERE id = ?`, made.IngestKey.ID).Scan(&stored); err != nil || strings.Contains(stored, made.Key[13:]) {
		t.Fatalf("the key is kept in clear: %q %v", stored, err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	w.call("jabar.analyst", "GET", keysPath, "", 200, &list)
	if len(list.Items) != 1 || list.Items[0]["name"] != "edge-nginx" || list.Items[0]["key"] != nil {
		t.Fatalf("keys listed: %+v", list.Items)
	}

	for _, h := range []map[string]string{{"X-Api-Key": made.Key}, bearer(made.Key)} {
		if res, out := ingestPost(t, w, assetID, strings.NewReader(lines), h); res.StatusCode != 200 || !strings.Contains(out, `"accepted":30`) || !strings.Contains(out, `"batch":"b-`) {
			t.Fatalf("with the key (%v): %d %s", h, res.StatusCode, out)
		}
	}
	// A key opens its own asset only, and nothing else.
	var other struct {
		ID int64 `json:"id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"KPU Jabar 2","kind":"site","region":"32","tlp":"GREEN"}`, 201, &other)
	if res, _ := ingestPost(t, w, other.ID, strings.NewReader(lines), map[string]string{"X-Api-Key": made.Key}); res.StatusCode != 401 {
		t.Errorf("a key sends another asset's logs: %d", res.StatusCode)
	}
	w.call("", "GET", "/api/v1/me", "", 401, nil)
	req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/alerts", nil)
	req.Header.Set("Authorization", "Bearer "+made.Key)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("an ingest key reads alerts: %v %v", res.StatusCode, err)
	}

	// Every accepted batch is in the audit chain, with its sender.
	rows, err := w.db.Query(ctx, `SELECT actor, record_id, detail FROM audit_log WHERE action = 'ingest.batch' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ actor, record, detail string }
	got, err := store.Collect(rows, func(r store.Scanner) (entry, error) {
		var e entry
		return e, r.Scan(&e.actor, &e.record, &e.detail)
	})
	if err != nil || len(got) != 3 {
		t.Fatalf("audited batches: %+v %v, want 3", got, err)
	}
	keyName := fmt.Sprintf("key:%d/edge-nginx", assetID)
	for i, want := range []string{"jabar.analyst", keyName, keyName} {
		e := got[i]
		if e.actor != want || e.record != fmt.Sprint(assetID) || !strings.Contains(e.detail, `"lines":30`) || !strings.Contains(e.detail, `"batch":"b-`) {
			t.Errorf("audit entry %d: %+v, want by %s", i, e, want)
		}
	}

	// Revoked, the key sends nothing.
	w.call("bssn.analyst", "DELETE", fmt.Sprintf("%s/%d", keysPath, made.IngestKey.ID), "", 403, nil)
	w.call("jabar.analyst", "DELETE", fmt.Sprintf("%s/%d", keysPath, made.IngestKey.ID), "", 204, nil)
	if res, _ := ingestPost(t, w, assetID, strings.NewReader(lines), map[string]string{"X-Api-Key": made.Key}); res.StatusCode != 401 {
		t.Errorf("a revoked key sends: %d", res.StatusCode)
	}
	if _, err := audit.Verify(ctx, w.db); err != nil {
		t.Fatal(err)
	}
}

// TestIngestLimits: a request over the bounds, once un-gzipped, is refused
// whole with 413 and nothing stored, and a gzip bomb stops at the bound;
// a sender over its rate gets 429 and nothing stored.
// TestIngestKeysOfOneName: key names are unique only within an asset, so
// two assets' keys named alike are two senders: each its own rate bucket
// and its own name in the audit chain and on the events.
func TestIngestKeysOfOneName(t *testing.T) {
	ctx := context.Background()
	w, _, _, first := ingestWorld(t, Deps{IngestLimits: ingest.Limits{MaxBytes: 1 << 20, MaxLines: 1000}, IngestRate: 10})
	var second struct {
		ID int64 `json:"id"`
	}
	w.call("jabar.analyst", "POST", "/api/v1/assets", `{"name":"KPU Jabar 2","kind":"site","region":"32","tlp":"GREEN"}`, 201, &second)
	keyOf := func(assetID int64) map[string]string {
		var made struct {
			Key string `json:"key"`
		}
		w.call("jabar.analyst", "POST", fmt.Sprintf("/api/v1/assets/%d/ingest-keys", assetID), `{"name":"filebeat"}`, 201, &made)
		return map[string]string{"X-Api-Key": made.Key}
	}
	firstKey, secondKey := keyOf(first), keyOf(second.ID)
	// The first asset's key empties its bucket (1000 lines); the second's is full.
	if res, out := ingestPost(t, w, first, strings.NewReader(accessLines(1000)), firstKey); res.StatusCode != 200 {
		t.Fatalf("first asset's key: %d %s", res.StatusCode, out)
	}
	if res, out := ingestPost(t, w, second.ID, strings.NewReader(accessLines(500)), secondKey); res.StatusCode != 200 {
		t.Fatalf("the second asset's key shares the first's quota: %d %s", res.StatusCode, out)
	}
	firstName := fmt.Sprintf("key:%d/filebeat", first)
	if res, out := ingestPost(t, w, first, strings.NewReader(accessLines(500)), firstKey); res.StatusCode != 429 || !strings.Contains(out, firstName) {
		t.Fatalf("over the first key's rate: %d %s", res.StatusCode, out)
	}
	rows, err := w.db.Query(ctx, `SELECT actor FROM audit_log WHERE action = 'ingest.batch' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	actors, err := store.Collect(rows, func(r store.Scanner) (string, error) {
		var a string
		return a, r.Scan(&a)
	})
	if want := []string{firstName, fmt.Sprintf("key:%d/filebeat", second.ID)}; err != nil || !slices.Equal(actors, want) {
		t.Fatalf("audited senders %v %v, want %v", actors, err, want)
	}
}

func TestIngestLimits(t *testing.T) {
	w, _, b, assetID := ingestWorld(t, Deps{IngestLimits: ingest.Limits{MaxBytes: 1 << 20, MaxLines: 1000}, IngestRate: 10})
	analyst := map[string]string{"Authorization": "Bearer " + w.tokens["jabar.analyst"]}
	gz := func(write func(io.Writer)) *bytes.Buffer {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		write(zw)
		zw.Close()
		return &buf
	}
	// A gzip bomb: 256 MiB of "A\n" in a few hundred KiB. Read to its end
	// it would be 134 M lines; it must stop at the first MiB.
	bomb := gz(func(w io.Writer) {
		chunk := bytes.Repeat([]byte("A\n"), 1<<19)
		for range 256 {
			w.Write(chunk)
		}
	})
	valid := accessLines(1000)
	for _, c := range []struct {
		name string
		body io.Reader
	}{
		{"gzip bomb", bomb},
		{"too many lines", strings.NewReader(valid + "192.0.2.1 - - [14/Feb/2024:09:00:00 +0700] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"")},
		{"too many lines, gzip", gz(func(w io.Writer) { io.WriteString(w, valid+valid) })},
		{"too many bytes", strings.NewReader(strings.Repeat(strings.Repeat("x", 2000)+"\n", 600))},
		{"too large as sent", strings.NewReader(strings.Repeat("x", 2<<20))},
	} {
		res, out := ingestPost(t, w, assetID, c.body, analyst)
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(out, `"body_too_large"`) || !strings.Contains(out, "nothing was stored") {
			t.Errorf("%s: %d %s, want 413 body_too_large", c.name, res.StatusCode, out)
		}
		if n := storedEvents(t, b); n != 0 {
			t.Fatalf("%s: %d messages stored, want none", c.name, n)
		}
	}
	// At the bound, the request is whole: all of it is stored.
	if res, out := ingestPost(t, w, assetID, strings.NewReader(valid), analyst); res.StatusCode != 200 || !strings.Contains(out, `"accepted":1000`) {
		t.Fatalf("1000 lines at a bound of 1000: %d %s", res.StatusCode, out)
	}
	// The sender's bucket (a request's worth) is empty now, refilling at
	// 10 lines a second: the next request waits, and nothing of it is stored.
	before := storedEvents(t, b)
	if res, out := ingestPost(t, w, assetID, strings.NewReader(accessLines(500)), analyst); res.StatusCode != 429 || !strings.Contains(out, "jabar.analyst") || !strings.Contains(out, "nothing was stored") {
		t.Fatalf("over the sender's rate: %d %s", res.StatusCode, out)
	}
	if n := storedEvents(t, b); n != before {
		t.Fatalf("a refused request stored %d messages", n-before)
	}
}
