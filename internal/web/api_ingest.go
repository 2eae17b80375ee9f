package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/problem"
)

// Ingest bounds: how much of a request is held before it goes to the
// bus, and how many requests may be read at once (the rest get 429 and
// retry). A request's size is bounded by Deps.IngestLimits.
const (
	ingestChunk     = 4096    // lines published per bus batch, at most
	ingestChunkSize = 4 << 20 // bytes of lines per bus batch, at most
	ingestPublishTO = 30 * time.Second
)

// IngestBatchHeader names a request's batch (a sender's random id): a
// retry of the same batch within two minutes is not stored twice.
const IngestBatchHeader = "X-Garda-Batch"

func (s *Server) ingestRoutes() {
	// public: the handler authenticates, since an ingest key (not an
	// account) may send too.
	s.api("POST /api/v1/ingest/{asset}", public, s.apiIngest)
	s.api("GET /api/v1/assets/{id}/ingest-keys", signedIn, s.apiIngestKeys)
	s.api("POST /api/v1/assets/{id}/ingest-keys", signedIn, s.apiCreateIngestKey)
	s.api("DELETE /api/v1/assets/{id}/ingest-keys/{key}", signedIn, s.apiRevokeIngestKey)
}

// ingestSender authenticates an ingest request: the asset's ingest key
// (X-Api-Key, or Authorization: Bearer), or the account of a person of the
// asset's owner. It returns the sender and the asset's region.
func (s *Server) ingestSender(w http.ResponseWriter, r *http.Request, assetID int64) (sender.Sender, string, error) {
	key := r.Header.Get("X-Api-Key")
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && sender.LooksLikeKey(strings.TrimSpace(tok)) {
		key = strings.TrimSpace(tok)
	}
	if key != "" {
		k, err := sender.KeyFor(r.Context(), s.DB, assetID, key)
		if errors.Is(err, sender.ErrUnknownKey) {
			return sender.Sender{}, "", problem.New(problem.Unauthorized, "the ingest key is unknown, revoked, or another asset's")
		} else if err != nil {
			return sender.Sender{}, "", err
		}
		return k.Sender(), k.Region, nil
	}
	p, err := s.authenticateAPI(w, r)
	if err != nil {
		return sender.Sender{}, "", err
	}
	a, err := asset.Get(r.Context(), s.DB, *p, assetID)
	if err != nil {
		return sender.Sender{}, "", err
	}
	if err := sender.Authorize(*p, a); err != nil {
		return sender.Sender{}, "", err
	}
	return sender.User(*p), a.Region, nil
}

// apiIngest accepts log lines for an asset: plain lines or NDJSON
// (format=json), gzip allowed. The request is read whole, within the
// ingest limits, before any of it is stored (over them: 413 and nothing
// stored); it answers once every accepted line is stored on the bus and
// the batch is in the audit chain with its sender.
func (s *Server) apiIngest(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	if s.Bus == nil {
		return problem.New(problem.Unavailable, "ingest needs the bus")
	}
	id, err := strconv.ParseInt(r.PathValue("asset"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no asset %q", r.PathValue("asset"))
	}
	snd, region, err := s.ingestSender(w, r, id)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("format")
	if name == "" {
		name = "nginx"
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-ndjson" || mt == "application/json" {
			name = "json"
		}
	}
	f, ok := format.Lookup(name)
	if !ok {
		return problem.Field("format", "unknown format %q (one of %s)", name, strings.Join(format.Names(), ", "))
	}
	clientBatch := r.Header.Get(IngestBatchHeader)
	if len(clientBatch) > 100 {
		return problem.Field(IngestBatchHeader, "at most 100 characters")
	}
	limits := s.ingestLimits()
	// As sent, a body is at most its lines (gzip only ever adds a little
	// to text that does not compress).
	maxSent := limits.MaxBytes + limits.MaxBytes/64 + 64<<10
	tooLarge := func(what string, limit int64) error {
		return problem.New(problem.BodyTooLarge, "more than %d %s in one request: nothing was stored; send them in smaller requests", limit, what)
	}
	if r.ContentLength > maxSent {
		return tooLarge("bytes", maxSent)
	}
	select {
	case s.ingestSlots <- struct{}{}:
		defer func() { <-s.ingestSlots }()
	default:
		w.Header().Set("Retry-After", "1")
		return problem.New(problem.TooManyAttempts, "ingest is busy: retry this request in a second")
	}
	data, lineCount, err := ingest.ReadBody(http.MaxBytesReader(w, r.Body, maxSent), limits)
	var over *ingest.LimitError
	var sentOver *http.MaxBytesError
	switch {
	case errors.As(err, &over):
		return tooLarge(over.What, over.Limit)
	case errors.As(err, &sentOver):
		return tooLarge("bytes", sentOver.Limit)
	case err != nil:
		return problem.New(problem.BadRequest, "the body could not be read (nothing was stored): it is neither text nor gzip, or it ends early")
	}
	if ok, wait := s.ingestQuota.Take(snd.String(), lineCount); !ok {
		return problem.New(problem.TooManyAttempts, "%s has sent more lines than %g a second allow: nothing was stored; retry in %s",
			snd, s.ingestQuota.Rate, wait.Round(time.Second)+time.Second)
	}
	var counters ingest.Counters
	rd, err := ingest.NewReader(bytes.NewReader(data), ingest.MaxLine, &counters)
	if err != nil {
		return err
	}
	batch := sender.NewBatchID()
	src := pipeline.Source{AssetID: id, Region: region, Format: f, Sender: snd.String(), Batch: batch}
	var res pipeline.Result
	lines := make([]pipeline.Line, 0, ingestChunk)
	held, chunk := 0, 0
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.Context(), ingestPublishTO)
		defer cancel()
		dedup := ""
		if clientBatch != "" {
			dedup = clientBatch + "/" + strconv.Itoa(chunk)
		}
		chunk++
		got, err := pipeline.Publish(ctx, s.Bus, src, lines, dedup, &counters)
		res.Accepted += got.Accepted
		res.Rejected += got.Rejected
		lines, held = lines[:0], 0
		if errors.Is(err, bus.ErrStreamFull) {
			// Detection is a whole stream behind: taking more would mean
			// dropping lines it has not seen.
			s.Log.Warn("ingest: refused, the events stream is full of undetected lines", "asset", id, "sender", snd.String())
			w.Header().Set("Retry-After", "10")
			return problem.New(problem.Unavailable, "detection is behind: the event stream is full of lines not yet detected (%d lines stored before): retry the request with the same %s header and they are not stored twice", res.Accepted, IngestBatchHeader)
		}
		if err != nil {
			s.Log.Error("ingest: events not stored", "asset", id, "sender", snd.String(), "err", err)
			w.Header().Set("Retry-After", "5")
			return problem.New(problem.Unavailable, "the events could not be stored now (%d lines stored before): retry the request with the same %s header and they are not stored twice", res.Accepted, IngestBatchHeader)
		}
		return nil
	}
	for {
		line, err := rd.Next(r.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return problem.New(problem.BadRequest, "the body could not be read (%d lines stored): it is neither text nor gzip, or it ends early", res.Accepted)
		}
		lines = append(lines, pipeline.Line{N: rd.Line(), Text: append([]byte(nil), line...)})
		if held += len(line); len(lines) == ingestChunk || held >= ingestChunkSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	st := counters.Snapshot()
	if err := sender.Record(r.Context(), s.DB, snd, sender.Batch{ID: batch, AssetID: id, Lines: lineCount, Accepted: res.Accepted,
		Rejected: int(st.RejectedTotal()), ClientID: clientBatch, From: clientAddr(r)}); err != nil {
		if httpapi.Unreachable(err) {
			// The lines are on the bus but the batch is not in the audit
			// chain: the sender must retry, and the same batch header keeps
			// the lines from being stored twice.
			s.Log.Warn("ingest: batch stored on the bus, not yet audited", "asset", id, "batch", batch, "err", err)
			w.Header().Set("Retry-After", "5")
			return problem.New(problem.Unavailable, "the database did not answer: retry the request with the same %s header (the lines are not stored twice)", IngestBatchHeader)
		}
		return fmt.Errorf("audit ingest batch %s: %w", batch, err)
	}
	by := map[string]int64{}
	s.ingested.Add(float64(res.Accepted), "accepted")
	for i, n := range st.Rejected {
		if n > 0 {
			by[ingest.Reason(i).String()] = n
			s.ingested.Add(float64(n), ingest.Reason(i).String())
			s.rejectedLines.Add(float64(n), strconv.FormatInt(id, 10), f.Name(), ingest.Reason(i).String())
		}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"accepted": res.Accepted, "rejected": st.RejectedTotal(), "rejected_by_reason": by, "batch": batch})
	return nil
}

// ingestLimits are the configured bounds of one request, or the defaults.
func (s *Server) ingestLimits() ingest.Limits {
	l := s.IngestLimits
	if l.MaxBytes <= 0 {
		l.MaxBytes = ingest.DefaultLimits.MaxBytes
	}
	if l.MaxLines <= 0 {
		l.MaxLines = ingest.DefaultLimits.MaxLines
	}
	return l
}

// assetForKeys reads the asset whose ingest keys a request is about.
func (s *Server) assetForKeys(r *http.Request, p *auth.Principal) (asset.Asset, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return asset.Asset{}, problem.New(problem.NotFound, "no asset %q", r.PathValue("id"))
	}
	return asset.Get(r.Context(), s.DB, *p, id)
}

func (s *Server) apiIngestKeys(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	a, err := s.assetForKeys(r, p)
	if err != nil {
		return err
	}
	keys, err := sender.ListKeys(r.Context(), s.DB, *p, a)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []sender.Key{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": keys, "count": len(keys)})
	return nil
}

func (s *Server) apiCreateIngestKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	a, err := s.assetForKeys(r, p)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := httpapi.Decode(w, r, &in, 4096); err != nil {
		return err
	}
	plain, k, err := sender.CreateKey(r.Context(), s.DB, *p, a, in.Name)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, map[string]any{"key": plain, "ingest_key": k})
	return nil
}

func (s *Server) apiRevokeIngestKey(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	a, err := s.assetForKeys(r, p)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no ingest key %q", r.PathValue("key"))
	}
	if err := sender.RevokeKey(r.Context(), s.DB, *p, a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
