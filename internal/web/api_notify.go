package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/problem"
)

// notifyRoutes registers the inbox and, for administrators, webhooks.
func (s *Server) notifyRoutes() {
	if s.Notify == nil {
		s.Notify = notify.New(s.DB, s.Log, notify.SMTP{})
	}
	if s.Notify.Orgs == nil {
		s.Notify.Orgs = s.Orgs
	}
	s.api("GET /api/v1/inbox", signedIn, s.apiInbox)
	s.api("GET /api/v1/inbox/unread", signedIn, s.apiInboxUnread)
	s.api("POST /api/v1/inbox/read", signedIn, s.apiInboxAllRead)
	s.api("POST /api/v1/inbox/{id}/read", signedIn, s.apiInboxRead)
	s.api("GET /api/v1/webhooks", signedIn, s.apiWebhooks)
	s.api("POST /api/v1/webhooks", signedIn, s.apiCreateWebhook)
	s.api("DELETE /api/v1/webhooks/{id}", signedIn, s.apiDeleteWebhook)
	s.api("GET /api/v1/webhooks/{id}/deliveries", signedIn, s.apiWebhookDeliveries)
}

// notifyIncident tells the notifier about a change just stored, and
// returns the @mentions of a comment that were not told (and why). It never
// fails the request: the notifier logs what it could not do.
func (s *Server) notifyIncident(r *http.Request, p *auth.Principal, kind, ref, comment string) []notify.Unreached {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	unreached, _ := s.Notify.Tell(ctx, *p, kind, ref, comment)
	s.incidentLive(ctx, p, ref)
	return unreached
}

// incidentLive tells open incident views that one incident changed.
func (s *Server) incidentLive(ctx context.Context, p *auth.Principal, ref string) {
	if i, err := incident.Get(ctx, s.DB, *p, ref); err == nil {
		s.incidentLiveID(ctx, i.ID)
	}
}

// incidentLiveID is incidentLive by id, for a change just made whose actor
// may no longer read the incident (a de-escalation that took its
// organisation out). Each stream decides again who hears of it.
func (s *Server) incidentLiveID(ctx context.Context, id int64) {
	if s.Bus != nil {
		live.Notify(ctx, s.Bus, s.Log, incident.RecordKind, id)
	}
}

func notifyID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.New(problem.NotFound, "no %s %q", what, r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	unread := r.URL.Query().Get("unread") == "true"
	return httpapi.ListByID(w, r, func(i notify.Item) int64 { return i.ID }, func(before int64, limit int) ([]notify.Item, error) {
		return notify.Inbox(r.Context(), s.DB, *p, before, unread, limit)
	})
}

// apiInboxUnread is the inbox's unread count, for a badge.
func (s *Server) apiInboxUnread(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	n, err := notify.Unread(r.Context(), s.DB, *p)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]int{"unread": n})
	return nil
}

func (s *Server) apiInboxAllRead(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := notify.MarkAllRead(r.Context(), s.DB, *p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiInboxRead(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := notifyID(r, "notification")
	if err != nil {
		return err
	}
	if err := notify.MarkRead(r.Context(), s.DB, *p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := notify.Webhooks(r.Context(), s.DB, *p)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var in notify.WebhookInput
	if err := httpapi.Decode(w, r, &in, 8192); err != nil {
		return err
	}
	h, err := notify.CreateWebhook(r.Context(), s.DB, *p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(h.ID, 10))
	httpapi.Write(w, http.StatusCreated, h)
	return nil
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := notifyID(r, "webhook")
	if err != nil {
		return err
	}
	if err := notify.DeleteWebhook(r.Context(), s.DB, *p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := notifyID(r, "webhook")
	if err != nil {
		return err
	}
	page, err := httpapi.ParsePage(r)
	if err != nil {
		return err
	}
	before, err := page.IDCursor()
	if err != nil {
		return err
	}
	list, err := notify.Deliveries(r.Context(), s.DB, *p, id, before, page.Limit)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, httpapi.NewList(list, page.Limit, func(d notify.Delivery) string { return httpapi.IDPos(d.ID) }))
	return nil
}
