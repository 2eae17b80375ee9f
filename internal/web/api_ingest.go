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

// Ingest limits: a request body as sent and once un-gzipped, how much is
// held before it goes to the bus, and how many requests may publish at
// once (the rest get 429 and retry): memory stays bounded whatever the
// senders do.
const (
	maxIngestBody   = 256 << 20 // as sent
	maxIngestLines  = 1 << 30   // bytes of lines, after gzip
	ingestChunk     = 4096      // lines published per bus batch, at most
	ingestChunkSize = 4 << 20   // bytes of lines per bus batch, at most
	ingestPublishTO = 30 * time.Second
)

// IngestBatchHeader names a request's batch (a sender's random id): a
// retry of the same batch within two minutes is not stored twice.
const IngestBatchHeader = "X-Garda-Batch"

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
	batch := r.Header.Get(IngestBatchHeader)
	if len(batch) > 100 {
		return problem.Field(IngestBatchHeader, "at most 100 characters")
	}
	var res pipeline.Result
	lines := make([]pipeline.Line, 0, ingestChunk)
	held, total, chunk := 0, 0, 0
	flush := func() error {
		if len(lines) == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.Context(), ingestPublishTO)
		defer cancel()
		id := ""
		if batch != "" {
			id = batch + "/" + strconv.Itoa(chunk)
		}
		chunk++
		got, err := pipeline.Publish(ctx, s.Bus, src, lines, id, &counters)
		res.Accepted += got.Accepted
		res.Rejected += got.Rejected
		lines, held = lines[:0], 0
		if err != nil {
			s.Log.Error("ingest: events not stored", "asset", a.ID, "err", err)
			w.Header().Set("Retry-After", "5")
			return problem.New(problem.Unavailable, "the events could not be stored now (%d lines stored before): retry the request", res.Accepted)
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
			return problem.New(problem.BadRequest, "the body could not be read (%d lines stored): it is neither text nor gzip, or it ends early", res.Accepted)
		}
		if total += len(line); total > maxIngestLines {
			return problem.New(problem.BodyTooLarge, "more than %d bytes of lines in one request: send them in parts (%d lines stored)", maxIngestLines, res.Accepted)
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
	by := map[string]int64{}
	s.ingested.Add(float64(res.Accepted), "accepted")
	for i, n := range st.Rejected {
		if n > 0 {
			by[ingest.Reason(i).String()] = n
			s.ingested.Add(float64(n), ingest.Reason(i).String())
			s.rejectedLines.Add(float64(n), strconv.FormatInt(a.ID, 10), f.Name(), ingest.Reason(i).String())
		}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"accepted": res.Accepted, "rejected": st.RejectedTotal(), "rejected_by_reason": by})
	return nil
}
