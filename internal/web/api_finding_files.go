package web

import (
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/httpapi"
	"github.com/garda-id/garda/internal/problem"
)

// A finding's evidence: the request/response pairs its scans captured,
// listed, downloaded (each download in the file's chain of custody) and
// their custody, for those who may read the finding.

func (s *Server) findingFiles() evidence.Store {
	return evidence.Store{Dir: s.DataDir, MaxBytes: s.EvidenceMaxBytes}
}

func (s *Server) apiFindingFiles(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	list, err := finding.Files(r.Context(), s.DB, *p, id)
	if err != nil {
		return err
	}
	if list == nil {
		list = []finding.File{}
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

// fileID reads the {eid} of a finding's evidence file.
func fileID(r *http.Request) (int64, error) {
	eid, err := strconv.ParseInt(r.PathValue("eid"), 10, 64)
	if err != nil || eid <= 0 {
		return 0, problem.New(problem.NotFound, "no evidence %q", r.PathValue("eid"))
	}
	return eid, nil
}

func (s *Server) apiDownloadFindingFile(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return s.sendFindingFile(w, r, p)
}

// sendFindingFile answers one evidence file of a finding as bytes to save
// (the API's and the page's download).
func (s *Server) sendFindingFile(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	eid, err := fileID(r)
	if err != nil {
		return err
	}
	f, fh, err := finding.OpenFile(r.Context(), s.DB, s.findingFiles(), *p, id, eid, clientAddr(r))
	if err != nil {
		return err
	}
	defer fh.Close()
	writeEvidence(w, f.Name, f.SHA256, f.Size, fh)
	return nil
}

// writeEvidence sends a stored file: always bytes to save, never something
// the browser renders in Garda's origin.
func writeEvidence(w http.ResponseWriter, name, sum string, size int64, f *os.File) {
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Evidence-SHA256", sum)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	io.Copy(w, f)
}

func (s *Server) apiFindingFileCustody(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "finding")
	if err != nil {
		return err
	}
	eid, err := fileID(r)
	if err != nil {
		return err
	}
	list, err := finding.CustodyOf(r.Context(), s.DB, *p, id, eid)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, map[string]any{"items": list})
	return nil
}
