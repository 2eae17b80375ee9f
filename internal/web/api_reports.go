package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/report"
)

// reportRoutes registers the daily situation report.
func (s *Server) reportRoutes() {
	s.api("GET /api/v1/reports/daily", signedIn, s.apiDailyReport)
}

// reportParams reads a report request's region and date. The report is a
// Bahasa Indonesia document (its downloads and the API's JSON): codes are
// named by the UI's Bahasa labels.
func reportParams(r *http.Request) report.Params {
	q := r.URL.Query()
	return report.Params{Region: q.Get("region"), RegionSet: q.Has("region"), Date: q.Get("date"), Labels: &req{Lang: langID}}
}

// apiDailyReport answers the daily situation report as JSON (default),
// Markdown (format=md) or PDF (format=pdf), counting only what the reader
// may read.
func (s *Server) apiDailyReport(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "md", "pdf":
	default:
		return problem.Field("format", "must be json, md or pdf")
	}
	rep, err := report.Build(r.Context(), s.DB, *p, reportParams(r))
	if err != nil {
		return err
	}
	writeReport(w, rep, format)
	return nil
}

// reportFilename is a download's name: laporan-harian-<region>-<date>.<ext>.
func reportFilename(rep *report.Report, ext string) string {
	reg := rep.Region
	if reg == "" {
		reg = "nasional"
	}
	return fmt.Sprintf("laporan-harian-%s-%s.%s", reg, rep.Date, ext)
}

func writeReport(w http.ResponseWriter, rep *report.Report, format string) {
	var body []byte
	switch format {
	case "md":
		body = rep.Markdown()
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	case "pdf":
		body = rep.PDF()
		w.Header().Set("Content-Type", "application/pdf")
	default:
		httpapi.Write(w, http.StatusOK, rep)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", reportFilename(rep, format)))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
