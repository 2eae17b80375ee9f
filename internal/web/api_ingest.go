package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/pipeline"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
)

// Ingest limits: a request body (after gzip) and how many requests may
// publish at once; the rest get 429 and retry, so memory stays bounded
// whatever the senders do.
const (
	maxIngestBody   = 256 << 20
	ingestChunk     = 4096 // lines published per bus batch
	ingestPublishTO = 30 * time.Second
)

func (s *Server) ingestRoutes() {
	s.api("POST /api/v1/ingest/{asset}", signedIn, s.apiIngest)
}

// apiIngest accepts log lines for an asset: plain lines or NDJSON
// (format=json), gzip allowed. It answers once every accepted line is
// stored on the bus.
func (s *Server) apiIngest(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if s.Bus == nil {
		return problem.New(problem.Unavailable, "ingest needs the bus")
	}
	id, err := strconv.ParseInt(r.PathValue("asset"), 10, 64)
	if err != nil || id <= 0 {
		return problem.New(problem.NotFound, "no asset %q", r.PathValue("asset"))
	}
	a, err := asset.Get(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if !p.Can(policy.Ingest) {
		return problem.New(problem.Forbidden, "your role (%s) may not send logs; use a token of an analyst, coordinator or admin account", p.User.Role)
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
	select {
	case s.ingestSlots <- struct{}{}:
		defer func() { <-s.ingestSlots }()
	default:
		w.Header().Set("Retry-After", "1")
		return problem.New(problem.TooManyAttempts, "ingest is busy: retry this request in a second")
	}
	body := io.Reader(http.MaxBytesReader(w, r.Body, maxIngestBody))
	var counters ingest.Counters
	rd, err := ingest.NewReader(body, ingest.MaxLine, &counters)
	if err != nil {
		return problem.New(problem.BadRequest, "cannot read the body: %v", err)
	}
	src := pipeline.Source{AssetID: a.ID, Region: a.Region, Format: f}
	var res pipeline.Result
	lines := make([][]byte, 0, ingestChunk)
	first := int64(1)
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.Context(), ingestPublishTO)
		defer cancel()
		got, err := pipeline.Publish(ctx, s.Bus, src, lines, first, &counters)
		res.Accepted += got.Accepted
		res.Rejected += got.Rejected
		first += int64(len(lines))
		lines = lines[:0]
		if err != nil {
			w.Header().Set("Retry-After", "5")
			return problem.New(problem.Unavailable, "the bus did not store the events (%d lines stored before): %v", res.Accepted, err)
		}
		return nil
	}
	for {
		line, err := rd.Next(r.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return problem.New(problem.BodyTooLarge, "request body is larger than %d bytes: send it in parts (%d lines stored)", maxIngestBody, res.Accepted)
			}
			return problem.New(problem.BadRequest, "cannot read the body: %v (%d lines stored)", err, res.Accepted)
		}
		lines = append(lines, append([]byte(nil), line...))
		if len(lines) == ingestChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	st := counters.Snapshot()
	by := map[string]int64{}
	s.ingested.Add(float64(res.Accepted), "accepted")
	for i, n := range st.Rejected {
		if n > 0 {
			by[ingest.Reason(i).String()] = n
			s.ingested.Add(float64(n), ingest.Reason(i).String())
		}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"accepted": res.Accepted, "rejected": st.RejectedTotal(), "rejected_by_reason": by})
	return nil
}
