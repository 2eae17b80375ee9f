package taxii

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// StatusDetail is what became of one object of a POST (section 4.3.1).
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Status is the status resource of a POST.
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	FailureCount     int            `json:"failure_count"`
	PendingCount     int            `json:"pending_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	Failures         []StatusDetail `json:"failures,omitempty"`
}

type objHead struct {
	Type              string   `json:"type"`
	ID                string   `json:"id"`
	Modified          string   `json:"modified"`
	Created           string   `json:"created"`
	ObjectMarkingRefs []string `json:"object_marking_refs"`
}

func (h objHead) version() string {
	if h.Modified != "" {
		return h.Modified
	}
	return h.Created
}

func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// addObjects takes an envelope in: each object that fits the collection and
// imports cleanly is kept, each other one is a failure with its reason (the
// good ones are imported together, in one transaction). The status resource
// is complete when the answer is sent.
func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, col, err := s.findCollection(r, p)
	if err != nil {
		return err
	}
	if !col.CanWrite {
		return problem.New(problem.Forbidden, "you may not add objects to this collection")
	}
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		writeError(w, http.StatusUnsupportedMediaType, "Unsupported media type", "send Content-Type: "+MediaTAXII)
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxContent+1))
	if err != nil {
		return problem.New(problem.BadRequest, "could not read the body: %v", err)
	}
	if len(body) > MaxContent {
		writeError(w, http.StatusRequestEntityTooLarge, "Too large", fmt.Sprintf("at most %d bytes (max_content_length)", MaxContent))
		return nil
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return problem.New(problem.InvalidJSON, "not a TAXII envelope: %v", err)
	}
	if len(env.Objects) > intel.MaxObjects {
		return problem.New(problem.BodyTooLarge, "%d objects; at most %d", len(env.Objects), intel.MaxObjects)
	}
	st := Status{ID: newUUID(), Status: "complete", RequestTimestamp: addedStamp(store.Now()), TotalCount: len(env.Objects)}
	heads := make([]objHead, len(env.Objects))
	failed := map[int]string{}
	for i, raw := range env.Objects {
		if err := json.Unmarshal(raw, &heads[i]); err != nil {
			failed[i] = "not a JSON object of STIX properties"
			continue
		}
		h := heads[i]
		if h.Type == "marking-definition" {
			continue
		}
		t, ok := intel.TLPOfMarkings(h.ObjectMarkingRefs)
		if !ok {
			t = policy.Amber
		}
		if col.tlp != "" && t != col.tlp {
			failed[i] = fmt.Sprintf("marked TLP:%s; this collection holds TLP:%s", t, col.tlp)
		}
	}
	if _, err := importGood(r.Context(), s.DB, *p, env.Objects, failed); err != nil {
		return err
	}
	for i, h := range heads {
		d := StatusDetail{ID: h.ID, Version: h.version()}
		if msg, bad := failed[i]; bad {
			d.Message = msg
			st.Failures = append(st.Failures, d)
		} else {
			st.Successes = append(st.Successes, d)
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	if err := saveStatus(r.Context(), s.DB, c.Slug, col.ID, p.User.ID, st); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, st)
	return nil
}

// importGood imports the objects not failed yet as who; the objects intel
// refuses join the failures and the rest is imported again (each attempt
// one transaction), so what is kept is exactly the objects not failed.
func importGood(ctx context.Context, db *store.DB, who auth.Principal, objs []json.RawMessage, failed map[int]string) (intel.ImportResult, error) {
	for round := 0; round < 5; round++ {
		var keep []json.RawMessage
		var at []int
		for i, o := range objs {
			if _, bad := failed[i]; !bad {
				keep, at = append(keep, o), append(at, i)
			}
		}
		if len(keep) == 0 {
			return intel.ImportResult{}, nil
		}
		b, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + newUUID(), "objects": keep})
		res, err := intel.Import(ctx, db, who, strings.NewReader(string(b)))
		var ie *intel.ImportError
		switch {
		case errors.As(err, &ie):
			for _, o := range ie.Objects {
				if o.Index >= 0 && o.Index < len(at) {
					failed[at[o.Index]] = o.Error
				}
			}
			continue
		case err != nil:
			return res, err
		}
		for _, u := range res.Unknown {
			var n int
			if _, err := fmt.Sscanf(u, "object %d:", &n); err == nil && n >= 0 && n < len(at) {
				failed[at[n]] = strings.TrimPrefix(u, fmt.Sprintf("object %d: ", n))
			}
		}
		return res, nil
	}
	return intel.ImportResult{}, errors.New("taxii: import did not settle after 5 rounds")
}

func saveStatus(ctx context.Context, db *store.DB, root, collection string, user int64, st Status) error {
	succ, _ := json.Marshal(orEmpty(st.Successes))
	fail, _ := json.Marshal(orEmpty(st.Failures))
	ts, _ := time.Parse(time.RFC3339Nano, st.RequestTimestamp)
	_, err := db.Exec(ctx, `INSERT INTO taxii_status (id, api_root, collection_id, user_id, status, total_count, success_count, failure_count, pending_count,
		successes, failures, request_timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.ID, root, collection, user, st.Status, st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount, string(succ), string(fail), ts)
	if err != nil {
		return fmt.Errorf("save TAXII status: %w", err)
	}
	return nil
}

func orEmpty(d []StatusDetail) []StatusDetail {
	if d == nil {
		return []StatusDetail{}
	}
	return d
}

// status answers a status resource: only to the user who made the POST.
func (s *Server) status(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := s.community(r)
	if err != nil {
		return err
	}
	var st Status
	var succ, fail string
	var ts time.Time
	err = s.DB.QueryRow(r.Context(), `SELECT id, status, total_count, success_count, failure_count, pending_count, successes, failures, request_timestamp
		FROM taxii_status WHERE id = ? AND api_root = ? AND user_id = ?`, r.PathValue("status_id"), c.Slug, p.User.ID).
		Scan(&st.ID, &st.Status, &st.TotalCount, &st.SuccessCount, &st.FailureCount, &st.PendingCount, &succ, &fail, &ts)
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(problem.NotFound, "no status %q of yours", r.PathValue("status_id"))
	} else if err != nil {
		return err
	}
	st.RequestTimestamp = addedStamp(ts)
	_ = json.Unmarshal([]byte(succ), &st.Successes)
	_ = json.Unmarshal([]byte(fail), &st.Failures)
	writeJSON(w, http.StatusOK, st)
	return nil
}
