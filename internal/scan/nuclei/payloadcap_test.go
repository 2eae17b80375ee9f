package nuclei

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/garda-id/garda/internal/scan"
)

const backupGuesses = `id: backup-guesses
info:
  name: backup guesses
  author: garda
  severity: medium
http:
  - method: GET
    path:
      - "{{BaseURL}}/{{FILENAME}}.{{EXT}}"
    attack: clusterbomb
    payloads:
      FILENAME: [site, www, backup, db, dump, old]
      EXT: [zip, tar, gz, sql]
    stop-at-first-match: false
    matchers:
      - type: status
        status: [200]
`

// The Env's PayloadCap bounds what a template's payload lists expand to,
// keeping the template's first combinations; without it every one is sent.
func TestPayloadCap(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/site.zip" {
			w.Write([]byte("backup"))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	tpl, err := Parse([]byte(backupGuesses), "backup-guesses.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cap, want int
	}{{0, 24}, {5, 5}, {4000, 24}} {
		asked = nil
		env := testEnv("")
		env.PayloadCap = c.cap
		var found []string
		if err := tpl.Run(context.Background(), env, scan.Target{URL: srv.URL, Mode: scan.Active}, func(r scan.Result) {
			found = append(found, r.MatchedAt)
		}); err != nil {
			t.Fatal(err)
		}
		if len(asked) != c.want {
			t.Errorf("cap %d: %d requests %v, want %d", c.cap, len(asked), asked, c.want)
		}
		// the first combinations come first: payload names sorted (EXT before
		// FILENAME), the last varying fastest
		if len(found) != 1 || found[0] != srv.URL+"/site.zip" {
			t.Errorf("cap %d: found %v, want /site.zip", c.cap, found)
		}
	}
}
