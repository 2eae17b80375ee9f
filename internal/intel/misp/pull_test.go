package misp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/store/storetest"
)

// Pull fetches an event again only when its manifest timestamp moved, and
// keeps fetching a recent one for a while (MISP timestamps are whole
// seconds: a change in the same second would otherwise be missed).
func TestPullBookmarks(t *testing.T) {
	db := storetest.SQLite(t)
	w := newWorld(t, db)
	dir := t.TempDir()
	old, recent := "0a000000-0000-4000-8000-0000000000a1", "0a000000-0000-4000-8000-0000000000a2"
	writeJSON(t, filepath.Join(dir, old+".json"), event(old, "lama", [3]string{"0b000000-0000-4000-8000-0000000000a1", "ip-dst", "203.0.113.21"}))
	writeJSON(t, filepath.Join(dir, recent+".json"), event(recent, "baru", [3]string{"0b000000-0000-4000-8000-0000000000a2", "ip-dst", "203.0.113.22"}))
	now := strconv.FormatInt(time.Now().Unix(), 10)
	writeJSON(t, filepath.Join(dir, "manifest.json"), map[string]any{
		old: map[string]string{"info": "lama", "timestamp": "1760000000"}, recent: map[string]string{"info": "baru", "timestamp": now}})
	var mu sync.Mutex
	fetched := map[string]int{}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer mitra" {
			http.Error(rw, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		fetched[strings.TrimPrefix(r.URL.Path, "/feed/")]++
		mu.Unlock()
		http.StripPrefix("/feed", files).ServeHTTP(rw, r)
	}))
	defer srv.Close()
	h, err := misp.ParseHeaders("Authorization: Bearer mitra\n")
	if err != nil {
		t.Fatal(err)
	}
	src := misp.Source{URL: srv.URL + "/feed/", Headers: h}
	ctx := context.Background()
	res, marks, err := misp.Pull(ctx, db, w.who["budi"], http.DefaultClient, src, nil)
	if err != nil || res.Err() != nil || len(res.Events) != 2 {
		t.Fatalf("first pull: %+v %v", res, err)
	}
	res, _, err = misp.Pull(ctx, db, w.who["budi"], http.DefaultClient, src, marks)
	if err != nil || len(res.Events) != 1 || res.Events[0].Event != recent {
		t.Fatalf("second pull: %+v %v", res, err)
	}
	if fetched[old+".json"] != 1 || fetched[recent+".json"] != 2 {
		t.Errorf("fetched %v", fetched)
	}
	if _, _, err := misp.Pull(ctx, db, w.who["budi"], http.DefaultClient, misp.Source{URL: srv.URL + "/feed/"}, nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without the partner's token: %v", err)
	}
}
