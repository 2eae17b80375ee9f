package takedown_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestTakedownAPI: the patrol files a request, a second coordinator
// approves it, it is sent; the platform's liaison lists, reads and answers
// it without the internal notes; another platform's liaison and another
// province's operator get 404 for the same id, in lists, reads and
// answers; bad input changes nothing.
func TestTakedownAPI(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := takedown.SeedPlatforms(ctx, db); err != nil {
			t.Fatal(err)
		}
		w := webtest.NewAPIWorld(t, db, web.Deps{}.Handler, people...)
		var platforms struct{ Items []takedown.Platform }
		w.Call("liaison.tt", "GET", "/api/v1/platforms", "", 200, &platforms)
		if len(platforms.Items) != 8 {
			t.Fatalf("%d platforms", len(platforms.Items))
		}
		forum := `{"slug":"forum","name":"Forum","kind":"forum","email":"a@forum.example.id","domains":[{"domain":"forum.example.id"},{"domain":"sites.example.id","path_prefix":"/forum"}]}`
		w.Call("patroli", "POST", "/api/v1/platforms", forum, 403, nil)
		var pl takedown.Platform
		w.Call("kpu.admin", "POST", "/api/v1/platforms", forum, 201, &pl)
		if len(pl.Domains) != 2 || pl.Channels()[0] != "email" {
			t.Fatalf("registered %+v", pl)
		}
		for _, bad := range []string{
			forum, // the slug is taken
			`{"slug":"forum2","name":"Forum 2","kind":"forum","email":"a@forum.example.id","domains":[{"domain":"forum.example.id"}]}`, // the domain is another's
			`{"slug":"forum3","name":"Forum 3","kind":"blog","email":"a@forum.example.id","domains":[{"domain":"blog.example.id"}]}`,   // unknown kind
			`{"slug":"forum4","name":"Forum 4","kind":"forum","domains":[{"domain":"f4.example.id"}]}`,                                 // no channel
			`{"slug":"forum5","name":"Forum 5","kind":"forum","email":"a@f5.example.id","domains":[{"domain":"not a domain"}]}`,
		} {
			w.Call("kpu.admin", "POST", "/api/v1/platforms", bad, 400, nil)
		}
		w.Call("liaison.tt", "GET", "/api/v1/platforms", "", 200, &platforms)
		if len(platforms.Items) != 9 {
			t.Fatalf("%d platforms after one registered and four refused", len(platforms.Items))
		}

		// Bad input: nothing stored.
		for _, body := range []string{
			`{"urls":["https://www.facebook.com/a","bukan url"],"category":"hoaks","legal_basis":["uu_ite_28_3"],"summary":"x"}`,
			`{"urls":["https://hoaks.example.org/a"],"category":"hoaks","legal_basis":["uu_ite_28_3"],"summary":"x"}`,
			`{"urls":["https://www.facebook.com/a"],"category":"hoaks","legal_basis":["pasal_karet"],"summary":"x"}`,
		} {
			w.Call("patroli", "POST", "/api/v1/takedowns", body, 400, nil)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM takedowns`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("bad input stored %d requests (%v)", n, err)
		}

		var r takedown.Request
		w.Call("patroli", "POST", "/api/v1/takedowns", `{"urls":["https://www.facebook.com/a/posts/1","https://www.facebook.com/a/posts/1","https://m.facebook.com/a/posts/2"],
			"category":"phishing","legal_basis":["uu_ite_35"],"urgency":"urgent","summary":"Halaman tiruan KPU","notes":"rahasia internal"}`, 201, &r)
		if len(r.URLs) != 2 || r.Status != "draft" {
			t.Fatalf("created %+v", r)
		}
		path := fmt.Sprintf("/api/v1/takedowns/%d", r.ID)
		w.Call("liaison.fb", "GET", path, "", 404, nil)
		w.Call("patroli", "POST", path+"/approve", "", 403, nil)
		w.Call("koord.komdigi", "POST", path+"/approve", "", 200, nil)
		w.Call("patroli", "POST", path+"/send", `{"channel":"telepati"}`, 400, nil)
		w.Call("patroli", "POST", path+"/send", `{"channel":"email"}`, 200, &r)
		if r.DueAt == nil || r.Clock == nil || r.Clock.State != "running" {
			t.Fatalf("sent: due %v clock %+v", r.DueAt, r.Clock)
		}

		var got takedown.Request
		w.Call("liaison.fb", "GET", path, "", 200, &got)
		if got.Notes != "" || len(got.URLs) != 2 {
			t.Fatalf("liaison sees notes %q / %d URLs", got.Notes, len(got.URLs))
		}
		var list struct{ Items []takedown.Request }
		w.Call("liaison.fb", "GET", "/api/v1/takedowns?status=sent", "", 200, &list)
		if len(list.Items) != 1 || list.Items[0].Notes != "" {
			t.Fatalf("liaison's list %+v", list.Items)
		}
		for _, who := range []string{"liaison.tt", "diskominfo.jabar", "jateng.viewer"} {
			w.Call(who, "GET", path, "", 404, nil)
			w.Call(who, "POST", path+"/answers", `{"url":"https://www.facebook.com/a/posts/1","outcome":"removed"}`, 404, nil)
			w.Call(who, "GET", "/api/v1/takedowns", "", 200, &list)
			if len(list.Items) != 0 {
				t.Fatalf("%s lists %d requests", who, len(list.Items))
			}
		}
		w.Call("liaison.fb", "POST", path+"/answers", `{"url":"https://www.facebook.com/lain","outcome":"removed"}`, 400, nil)
		w.Call("liaison.fb", "POST", path+"/answers", `{"url":"https://www.facebook.com/a/posts/1","outcome":"removed"}`, 200, nil)
		w.Call("liaison.fb", "POST", path+"/answers", `{"url":"https://m.facebook.com/a/posts/2","outcome":"refused","reason":"Bukan pelanggaran kebijakan kami"}`, 200, &r)
		if r.Status != "closed" || r.Clock == nil || r.Clock.State != "met" {
			t.Fatalf("closed? %s %+v", r.Status, r.Clock)
		}
		var full struct {
			History []takedown.Event `json:"history"`
		}
		w.Call("koord.komdigi", "GET", path, "", 200, &full)
		kinds := []string{}
		for _, e := range full.History {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "created,approved,sent,answered,answered,closed" {
			t.Fatalf("history %v", kinds)
		}
	})
}
