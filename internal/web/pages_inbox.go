package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/takedown"
)

// The in-app inbox: what happened on the incidents a person takes part in,
// newest first. An entry links to its incident; opening it from here marks
// it read.

const inboxPageSize = 50

// inboxView is the data of the inbox page.
type inboxView struct {
	Items       []notify.Item
	UnreadOnly  bool
	Next, First string
}

func (p *pages) inbox(w http.ResponseWriter, r *http.Request, rq *req) error {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v := inboxView{UnreadOnly: q.Get("belum") == "1"}
	list, err := notify.Inbox(r.Context(), p.s.DB, *rq.P, before, v.UnreadOnly, inboxPageSize)
	if err != nil {
		return err
	}
	keep := url.Values{}
	if v.UnreadOnly {
		keep.Set("belum", "1")
	}
	v.Items, v.Next, v.First = pageOf(list, inboxPageSize, func(i notify.Item) int64 { return i.ID }, "/kotak-masuk", keep, before)
	p.render(w, r, http.StatusOK, "inbox.html", page{req: rq, Title: rq.T("nav.inbox"), Active: "nav.inbox", Data: v})
	return nil
}

func (p *pages) inboxAllRead(w http.ResponseWriter, r *http.Request, rq *req) error {
	if err := notify.MarkAllRead(r.Context(), p.s.DB, *rq.P); err != nil {
		return err
	}
	http.Redirect(w, r, "/kotak-masuk", http.StatusSeeOther)
	return nil
}

// openedFromInbox marks the notification an incident page was opened from
// (?n=id) read: only the reader's own, and only one of this incident.
func (p *pages) openedFromInbox(r *http.Request, rq *req, incidentID int64) error {
	id, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	if err := notify.MarkOpened(r.Context(), p.s.DB, *rq.P, id, incidentID); err != nil {
		return err
	}
	rq.Unread = p.unread(r.Context(), rq.P)
	return nil
}

// NoticeBy names who or what a notification comes from: the person who
// acted, or, for a missed deadline, the deadline (the notice keeps its
// clock's code where others keep the actor).
func (rq *req) NoticeBy(event, actor string) string {
	if event == notify.IncidentClockMissed {
		return rq.L("iclock", actor)
	}
	if event == notify.FindingDeadlineNear || event == notify.FindingDeadlineMissed {
		return rq.L("fclock", actor)
	}
	if event == takedown.EventStage {
		return rq.L("tdletter", actor)
	}
	if event == notify.RoomPosture {
		return rq.L("posture", actor)
	}
	return rq.Actor(actor)
}
