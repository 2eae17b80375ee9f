package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

type world struct {
	t   *testing.T
	db  *store.DB
	n   *Notifier
	who map[string]auth.Principal
}

var people = []auth.NewUser{
	{Username: "alice", Org: "kpu-32", Role: "analyst", Scope: "32", Email: "alice@example.org"},
	{Username: "bob", Org: "kpu-32", Role: "analyst", Scope: "32", Email: "bob@example.org"},
	{Username: "carol", Org: "bssn", Role: "viewer", Scope: ""},
	{Username: "dave", Org: "bssn", Role: "analyst", Scope: "", Email: "dave@example.org"},
	{Username: "eve", Org: "kpu-33", Role: "analyst", Scope: "33", Email: "eve@example.org"},
	{Username: "root", Org: "kpu", Role: "admin", Scope: ""},
}

func newWorld(t *testing.T, db *store.DB) *world {
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, n: New(db, nil, SMTP{}), who: map[string]auth.Principal{}}
	var users []auth.User
	for _, p := range people {
		p.Password = "pw-" + p.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, p)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if w.who[u.Username], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) create(by, tlp string, orgs, users []string) incident.Incident {
	w.t.Helper()
	ctx := context.Background()
	tree, _ := org.Load(ctx, w.db)
	title, region := "Defacement "+tlp, "32"
	in := incident.Input{Title: &title, TLP: &tlp, Region: &region, Participants: &incident.Participants{Orgs: orgs, Users: users}}
	i, err := incident.Create(ctx, w.db, w.who[by], tree, in)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.n.Incident(ctx, w.who[by], IncidentCreated, i.HumanID, ""); err != nil {
		w.t.Fatal(err)
	}
	return i
}

// inbox returns "event human_id title" lines of a user's inbox.
func (w *world) inbox(user string) []string {
	w.t.Helper()
	items, err := Inbox(context.Background(), w.db, w.who[user], 0, false, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Event+" "+it.HumanID+" "+it.Title)
	}
	return out
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func TestInboxRecipientsFollowVisibility(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		amber := w.create("alice", "AMBER", []string{"bssn"}, nil)
		red := w.create("alice", "RED", []string{"bssn"}, []string{"dave"})

		want := "incident.created " + amber.HumanID + " Defacement AMBER"
		for _, u := range []string{"bob", "carol", "dave"} {
			if got := w.inbox(u); !slices.Contains(got, want) {
				t.Errorf("%s should have the AMBER incident: %v", u, got)
			}
		}
		if got := w.inbox("eve"); len(got) != 0 {
			t.Errorf("eve (not a participant) got %v", got)
		}
		if got := w.inbox("alice"); len(got) != 0 {
			t.Errorf("the actor is not told of her own change: %v", got)
		}
		// RED: named users only — dave, not bob (same org as the creator),
		// not carol (participant org).
		redLine := "incident.created " + red.HumanID + " Defacement RED"
		if got := w.inbox("dave"); !slices.Contains(got, redLine) {
			t.Errorf("dave is named on the RED incident: %v", got)
		}
		for _, u := range []string{"bob", "carol", "eve", "root"} {
			if w.count(`SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = ? AND n.incident_id = ?`, u, red.ID) != 0 {
				t.Errorf("%s was told of the RED incident", u)
			}
		}

		// Read, cursor, other users' entries.
		items, _ := Inbox(context.Background(), db, w.who["dave"], 0, false, 1)
		if len(items) != 2 || items[0].HumanID != red.HumanID {
			t.Fatalf("newest first, limit+1: %+v", items)
		}
		if err := MarkRead(context.Background(), db, w.who["bob"], items[0].ID); err == nil {
			t.Fatal("bob marked dave's notification read")
		}
		if err := MarkRead(context.Background(), db, w.who["dave"], items[0].ID); err != nil {
			t.Fatal(err)
		}
		unread, _ := Inbox(context.Background(), db, w.who["dave"], 0, true, 10)
		if len(unread) != 1 || unread[0].HumanID != amber.HumanID {
			t.Fatalf("unread %+v", unread)
		}
		older, _ := Inbox(context.Background(), db, w.who["dave"], items[0].ID, false, 10)
		if len(older) != 1 || older[0].HumanID != amber.HumanID {
			t.Fatalf("below cursor %+v", older)
		}
	})
}

func TestMentions(t *testing.T) {
	if got := Mentions("ping @bob, @eve. and mail@host.com @bob"); !slices.Equal(got, []string{"bob", "eve"}) {
		t.Fatalf("mentions %v", got)
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// AMBER among KPU Jawa Barat only: eve (KPU Jawa Tengah) cannot read it.
		inc := w.create("alice", "AMBER", nil, nil)
		before := w.count(`SELECT COUNT(*) FROM notifications`)
		ctx := context.Background()
		if _, err := incident.Comment(ctx, db, w.who["alice"], inc.HumanID, "@eve see the defacement, @bob too, @nobody"); err != nil {
			t.Fatal(err)
		}
		unreached, err := w.n.Tell(ctx, w.who["alice"], IncidentComment, inc.HumanID, "@eve see the defacement, @bob too, @nobody")
		if err != nil {
			t.Fatal(err)
		}
		// The commenter learns whom the comment did not reach, and why.
		if want := []Unreached{{"eve", NotReader}, {"nobody", NotAUser}}; !slices.Equal(unreached, want) {
			t.Fatalf("not told %+v, want %+v", unreached, want)
		}
		if got := w.inbox("eve"); len(got) != 0 {
			t.Fatalf("eve cannot read the incident, yet got %v", got)
		}
		if n := w.count(`SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'eve'`); n != 0 {
			t.Fatalf("eve has %d stored notifications", n)
		}
		if got := w.inbox("bob"); !slices.Contains(got, "incident.mention "+inc.HumanID+" Defacement AMBER") {
			t.Fatalf("bob mentioned: %v", got)
		}
		if after := w.count(`SELECT COUNT(*) FROM notifications`); after != before+1 {
			t.Fatalf("one notification (bob's mention) expected, got %d", after-before)
		}
	})
}

// TestNewIncidentTellsTheLevelsAbove: a regency's new incident reaches the
// province's KPU and operation room, and a high or critical one the
// national desk, each person only if they may read it.
func TestNewIncidentTellsTheLevelsAbove(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		for _, n := range []auth.NewUser{
			{Username: "op.bandung", Org: "kpu-32.04", Role: "operator", Scope: "32.04"},
			{Username: "koord.jabar", Org: "kpu-32", Role: "coordinator", Scope: "32"},
			{Username: "room.jabar", Org: "diskominfo-32", Role: "operator", Scope: "32"},
		} {
			n.Password = "pw-" + n.Username + "-long-enough"
			u, err := auth.CreateUser(ctx, db, audit.System, n)
			if err != nil {
				t.Fatal(err)
			}
			tree, _ := org.Load(ctx, db)
			w.who[n.Username], _ = auth.PrincipalOf(u, tree)
		}
		tree, _ := org.Load(ctx, db)
		report := func(tlp, severity string) incident.Incident {
			title := "Laporan " + tlp + " " + severity
			i, err := incident.Create(ctx, db, w.who["op.bandung"], tree, incident.Input{Title: &title, TLP: &tlp, Severity: &severity})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.n.Incident(ctx, w.who["op.bandung"], IncidentCreated, i.HumanID, ""); err != nil {
				t.Fatal(err)
			}
			return i
		}
		told := func(user string, i incident.Incident, event string) bool {
			return slices.Contains(w.inbox(user), event+" "+i.HumanID+" "+i.Title)
		}
		amber := report("AMBER", "medium")
		for _, u := range []string{"koord.jabar", "alice", "bob"} { // KPU Jawa Barat reads its regencies' AMBER
			if !told(u, amber, IncidentCreated) {
				t.Errorf("%s was not told of the regency's new incident", u)
			}
		}
		for _, u := range []string{"room.jabar", "dave", "carol", "eve"} { // none may read it
			if n := w.count(`SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = ? AND n.incident_id = ?`, u, amber.ID); n != 0 {
				t.Errorf("%s, who may not read it, was told of the AMBER incident", u)
			}
		}
		green := report("GREEN", "high")
		for _, u := range []string{"koord.jabar", "room.jabar", "dave", "carol"} {
			if !told(u, green, IncidentCreated) {
				t.Errorf("%s was not told of the high GREEN incident", u)
			}
		}
		if len(w.inbox("eve")) != 0 {
			t.Error("another province was told")
		}
		greenLow := report("GREEN", "low")
		if !told("room.jabar", greenLow, IncidentCreated) || told("dave", greenLow, IncidentCreated) {
			t.Error("a low GREEN incident: the province's room is told, the national desk is not")
		}

		// An escalation request reaches those who may escalate: the
		// province's coordinator, not its analysts.
		if _, err := incident.RequestEscalation(ctx, db, w.who["op.bandung"], amber.HumanID, "Situs resmi di masa kampanye"); err != nil {
			t.Fatal(err)
		}
		if err := w.n.Incident(ctx, w.who["op.bandung"], IncidentEscalationRequested, amber.HumanID, ""); err != nil {
			t.Fatal(err)
		}
		if !told("koord.jabar", amber, IncidentEscalationRequested) || told("alice", amber, IncidentEscalationRequested) {
			t.Errorf("escalation request: coordinator %v, analyst %v", w.inbox("koord.jabar"), w.inbox("alice"))
		}
	})
}

type hookServer struct {
	mu     sync.Mutex
	fail   int // answer 500 this many times first
	bodies [][]byte
	heads  []http.Header
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bodies = append(h.bodies, b)
	h.heads = append(h.heads, r.Header.Clone())
	if h.fail > 0 {
		h.fail--
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhooks(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		hs := &hookServer{fail: 1}
		srv := httptest.NewServer(hs) // listens on 127.0.0.1
		defer srv.Close()

		if _, err := CreateWebhook(ctx, db, w.who["alice"], WebhookInput{URL: srv.URL, Events: Events}); err == nil {
			t.Fatal("an analyst registered a webhook")
		}
		for _, bad := range []string{"ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "http://user:pw@example.org/", "example.org"} {
			if _, err := CreateWebhook(ctx, db, w.who["root"], WebhookInput{URL: bad, Events: Events}); err == nil {
				t.Errorf("accepted %q", bad)
			}
		}
		if _, err := CreateWebhook(ctx, db, w.who["root"], WebhookInput{URL: srv.URL, Events: []string{"incident.deleted"}}); err == nil {
			t.Error("accepted an unknown event")
		}
		hook, err := CreateWebhook(ctx, db, w.who["root"], WebhookInput{URL: srv.URL + "/hook", Events: []string{IncidentCreated}})
		if err != nil {
			t.Fatal(err)
		}
		if len(hook.Secret) < 32 {
			t.Fatalf("generated secret %q", hook.Secret)
		}
		list, _ := Webhooks(ctx, db, w.who["root"])
		if len(list) != 1 || list[0].Secret != "" {
			t.Fatalf("list shows the secret or misses the hook: %+v", list)
		}

		green := w.create("alice", "GREEN", nil, nil)
		w.create("alice", "RED", nil, []string{"dave"})
		amber := w.create("alice", "AMBER", nil, nil)
		if n := w.count(`SELECT COUNT(*) FROM webhook_deliveries`); n != 2 {
			t.Fatalf("%d deliveries queued, want 2 (GREEN, AMBER; RED never)", n)
		}

		now := time.Now().UTC()
		if n, err := w.n.DeliverDue(ctx, now); err != nil || n != 2 {
			t.Fatalf("first round: %d, %v", n, err)
		}
		ds, _ := Deliveries(ctx, db, w.who["root"], hook.ID, 0, 10)
		byIncident := map[int64]Delivery{}
		for _, d := range ds {
			byIncident[d.IncidentID] = d
		}
		first := byIncident[green.ID]
		if first.Status != Pending || first.Attempts != 1 || first.ResponseCode != 500 || first.LastError == "" || first.NextAttemptAt == nil {
			t.Fatalf("failed attempt recorded as %+v", first)
		}
		if d := first.NextAttemptAt.Sub(now); d < BaseBackoff-time.Second || d > BaseBackoff+time.Second {
			t.Fatalf("retry in %v, want %v", d, BaseBackoff)
		}
		if byIncident[amber.ID].Status != Delivered {
			t.Fatalf("AMBER delivery %+v", byIncident[amber.ID])
		}
		// Not due yet.
		if n, _ := w.n.DeliverDue(ctx, now.Add(BaseBackoff/2)); n != 0 {
			t.Fatalf("retried %d before the backoff ended", n)
		}
		if n, err := w.n.DeliverDue(ctx, now.Add(BaseBackoff+time.Second)); err != nil || n != 1 {
			t.Fatalf("retry round: %d, %v", n, err)
		}
		ds, _ = Deliveries(ctx, db, w.who["root"], hook.ID, 0, 10)
		for _, d := range ds {
			if d.IncidentID == green.ID && (d.Status != Delivered || d.Attempts != 2 || d.ResponseCode != 204 || d.DeliveredAt == nil) {
				t.Fatalf("retried delivery %+v", d)
			}
		}

		hs.mu.Lock()
		defer hs.mu.Unlock()
		if len(hs.bodies) != 3 {
			t.Fatalf("%d requests, want 3", len(hs.bodies))
		}
		sawGreen, sawAmber := false, false
		for i, b := range hs.bodies {
			h := hs.heads[i]
			if !Verify(hook.Secret, b, h.Get("X-Garda-Signature")) || !strings.HasPrefix(h.Get("X-Garda-Signature"), "sha256=") {
				t.Fatalf("bad signature %q", h.Get("X-Garda-Signature"))
			}
			if Verify("wrong-secret-wrong-secret", b, h.Get("X-Garda-Signature")) {
				t.Fatal("signature verifies with another secret")
			}
			if h.Get("X-Garda-Event") != IncidentCreated || h.Get("X-Garda-Delivery") == "" {
				t.Fatalf("headers %v", h)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			switch m["human_id"] {
			case green.HumanID:
				sawGreen = true
				if m["title"] != "Defacement GREEN" {
					t.Fatalf("GREEN body %s", b)
				}
			case amber.HumanID:
				sawAmber = true
				if len(m) != 3 || m["event"] != IncidentCreated || strings.Contains(string(b), "Defacement") {
					t.Fatalf("AMBER body carries more than the reference: %s", b)
				}
			default:
				t.Fatalf("unexpected body %s", b)
			}
		}
		if !sawGreen || !sawAmber {
			t.Fatal("missing deliveries")
		}

		if err := DeleteWebhook(ctx, db, w.who["root"], hook.ID); err != nil {
			t.Fatal(err)
		}
		w.create("alice", "CLEAR", nil, nil)
		if n := w.count(`SELECT COUNT(*) FROM webhook_deliveries`); n != 2 {
			t.Fatalf("a deleted webhook got a delivery")
		}
	})
}

func TestBackoffGrows(t *testing.T) {
	if Backoff(1) != BaseBackoff || Backoff(2) != 2*BaseBackoff || Backoff(3) != 4*BaseBackoff || Backoff(50) != MaxBackoff {
		t.Fatal(Backoff(1), Backoff(2), Backoff(3), Backoff(50))
	}
}

func TestEmail(t *testing.T) {
	if s := New(nil, nil, SMTP{}).Status(); s.Email || !strings.HasPrefix(s.EmailMsg, "off") {
		t.Fatalf("unconfigured email: %+v", s)
	}
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// Unconfigured: nothing is sent.
		called := make(chan string, 10)
		w.n.sendMail = func(addr string, a any, from string, to []string, msg []byte) error {
			called <- to[0] + "|" + string(msg)
			return nil
		}
		w.create("alice", "AMBER", []string{"bssn"}, nil)
		select {
		case m := <-called:
			t.Fatalf("email sent while off: %s", m)
		case <-time.After(50 * time.Millisecond):
		}
		// Configured: RED reaches the named user with an address only.
		w.n.SMTP = SMTP{Addr: "127.0.0.1:2525", From: "garda@example.org"}
		if !w.n.Status().Email {
			t.Fatal("email should be on")
		}
		red := w.create("alice", "RED", []string{"kpu-32"}, []string{"dave"})
		select {
		case m := <-called:
			if !strings.HasPrefix(m, "dave@example.org|") || !strings.Contains(m, red.HumanID) || !strings.Contains(m, "alice membuka "+red.HumanID) {
				t.Fatalf("mail %s", m)
			}
			// Mail leaves the platform: as for webhooks, no title above GREEN.
			if strings.Contains(m, red.Title) || !strings.Contains(m, "/insiden/"+red.HumanID) {
				t.Fatalf("RED mail carries the title or lacks the link: %s", m)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no email")
		}
		select {
		case m := <-called:
			t.Fatalf("a second email for a RED incident: %s", m)
		case <-time.After(100 * time.Millisecond):
		}
		for _, tlp := range []string{"AMBER", "AMBER+STRICT", "GREEN"} {
			inc := w.create("alice", tlp, []string{"bssn"}, []string{"dave"})
			for m := ""; !strings.HasPrefix(m, "dave@example.org|"); {
				select {
				case m = <-called:
				case <-time.After(5 * time.Second):
					t.Fatalf("no %s email to dave", tlp)
				}
				if strings.Contains(m, inc.Title) != (tlp == "GREEN") {
					t.Errorf("%s mail, title shown %v: %s", tlp, strings.Contains(m, inc.Title), m)
				}
			}
		}
	})
}

// TestEmailOverSMTP sends through net/smtp to a server speaking the
// protocol on a local port (a minimal one, in this test): the message
// arrives with its envelope, subject and the incident's reference.
func TestEmailOverSMTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSMTP(c, got)
		}
	}()
	db := storetest.SQLite(t)
	w := newWorld(t, db)
	w.n.SMTP = SMTP{Addr: ln.Addr().String(), From: "garda@example.org"}
	red := w.create("alice", "RED", []string{"kpu-32"}, []string{"dave"})
	select {
	case m := <-got:
		for _, want := range []string{"MAIL FROM:<garda@example.org>", "RCPT TO:<dave@example.org>", "Subject: ", red.HumanID} {
			if !strings.Contains(m, want) {
				t.Errorf("the session lacks %q:\n%s", want, m)
			}
		}
		if strings.Contains(m, red.Title) {
			t.Errorf("the title of a RED incident left the platform:\n%s", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no mail reached the SMTP server")
	}
}

// serveSMTP answers one SMTP session just enough for net/smtp and hands
// back the whole conversation the client sent.
func serveSMTP(c net.Conn, got chan<- string) {
	defer c.Close()
	r := bufio.NewReader(c)
	var log strings.Builder
	say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
	say("220 test ESMTP")
	for data := false; ; {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		log.WriteString(line)
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case data:
			if cmd == "." {
				data = false
				say("250 queued")
			}
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 test")
		case strings.HasPrefix(cmd, "DATA"):
			data = true
			say("354 go on")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 bye")
			got <- log.String()
			return
		default:
			say("250 ok")
		}
	}
}

// TestWebhooksHearOnlyTheirScope: a webhook hears what its organisation and
// the registering administrator's scope may read. Jawa Timur's provincial
// webhook heard Jawa Barat's GREEN incident in full and the ids of its
// AMBER+STRICT ones.
func TestWebhooksHearOnlyTheirScope(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		admins := map[string]auth.NewUser{
			"admin.jatim": {Username: "admin.jatim", Org: "kpu-35", Role: "admin", Scope: "35"},
			"admin.jabar": {Username: "admin.jabar", Org: "kpu-32", Role: "admin", Scope: "32"},
		}
		hooks := map[string]int64{}
		for name, n := range admins {
			n.Password = "pw-" + name + "-long-enough"
			u, err := auth.CreateUser(ctx, db, audit.System, n)
			if err != nil {
				t.Fatal(err)
			}
			if w.who[name], err = auth.PrincipalOf(u, tree); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"admin.jatim", "admin.jabar", "root"} {
			h, err := CreateWebhook(ctx, db, w.who[name], WebhookInput{URL: "http://127.0.0.1:9/" + name, Events: Events})
			if err != nil {
				t.Fatal(err)
			}
			hooks[name] = h.ID
		}
		green := w.create("alice", "GREEN", nil, nil)
		amber := w.create("alice", "AMBER", nil, nil)
		strict := w.create("alice", "AMBER+STRICT", nil, nil)
		heard := func(hook string) []int64 {
			var ids []int64
			rows, err := db.Query(ctx, `SELECT incident_id FROM webhook_deliveries WHERE webhook_id = ? ORDER BY incident_id`, hooks[hook])
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				ids = append(ids, id)
			}
			return ids
		}
		for hook, want := range map[string][]int64{
			"admin.jatim": nil,                             // another province: nothing
			"admin.jabar": {green.ID, amber.ID, strict.ID}, // the owner organisation and region
			"root":        {green.ID, amber.ID},            // national, an ancestor of the owner: not AMBER+STRICT
		} {
			if got := heard(hook); !slices.Equal(got, want) {
				t.Errorf("webhook of %s heard incidents %v, want %v", hook, got, want)
			}
		}
		if list, _ := Webhooks(ctx, db, w.who["admin.jatim"]); len(list) != 1 || list[0].Scope != "35" {
			t.Errorf("jatim's webhooks: %+v", list)
		}
		// Judged again when sent: the AMBER incident became AMBER+STRICT
		// before its delivery, so the national webhook no longer hears it.
		if _, err := db.Exec(ctx, `UPDATE incidents SET tlp = 'AMBER+STRICT' WHERE id = ?`, amber.ID); err != nil {
			t.Fatal(err)
		}
		w.n.DeliverDue(ctx, time.Now().UTC())
		var status, why string
		db.QueryRow(ctx, `SELECT status, last_error FROM webhook_deliveries WHERE webhook_id = ? AND incident_id = ?`, hooks["root"], amber.ID).Scan(&status, &why)
		if status != Dropped || !strings.Contains(why, "scope") {
			t.Errorf("the national webhook's delivery of an incident it may no longer read: %s %q", status, why)
		}
	})
}

// TestWebhookScopeMigration: migration 0017 gives webhooks registered
// before it their creator's scope, national only for a national creator.
func TestWebhookScopeMigration(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		tree, _ := org.Load(ctx, db)
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "admin.jatim", Org: "kpu-35", Role: "admin", Scope: "35", Password: "pw-admin.jatim-long-enough"})
		if err != nil {
			t.Fatal(err)
		}
		jatim, _ := auth.PrincipalOf(u, tree)
		national, _ := CreateWebhook(ctx, db, w.who["root"], WebhookInput{URL: "http://127.0.0.1:9/n", Events: Events})
		provincial, _ := CreateWebhook(ctx, db, jatim, WebhookInput{URL: "http://127.0.0.1:9/p", Events: Events})
		// As before the migration: no scope.
		if _, err := db.Exec(ctx, `UPDATE webhooks SET scope = 'none'`); err != nil {
			t.Fatal(err)
		}
		migrations, _ := store.Migrations()
		var update string
		for _, m := range migrations {
			if strings.HasPrefix(m.Version, "0017_") {
				for _, stmt := range strings.Split(m.SQL, ";") {
					if i := strings.Index(stmt, "UPDATE webhooks"); i >= 0 {
						update = stmt[i:]
					}
				}
			}
		}
		if update == "" {
			t.Fatal("migration 0017 has no UPDATE of webhooks")
		}
		if _, err := db.Exec(ctx, update); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[int64]string{national.ID: "", provincial.ID: "35"} {
			var scope string
			db.QueryRow(ctx, `SELECT scope FROM webhooks WHERE id = ?`, id).Scan(&scope)
			if scope != want {
				t.Errorf("webhook %d: scope %q after the migration, want %q", id, scope, want)
			}
		}
	})
}
