package patrol_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/web/webtest"
)

// wantIn checks a page for pieces of HTML.
func wantIn(t *testing.T, page, what string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// follow opens an event stream as user and delivers each event's data.
func follow(ctx context.Context, w *webtest.APIWorld, user, path string) <-chan string {
	w.T.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", w.Srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+w.Tokens[user])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		w.T.Fatalf("%s %s: %v %v", user, path, err, res)
	}
	w.T.Cleanup(func() { res.Body.Close() })
	ch := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				ch <- d
			}
		}
	}()
	return ch
}
