package finding

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// The responses that back a finding are evidence: the request/response
// pair its check matched, as the scan saw it, is stored through package
// evidence (SHA-256, read back only while it still hashes to it) with a
// chain of custody (captured by the scan, then every download), readable
// by who may read the finding, and carried to the incident the finding is
// promoted to.

// Captured is the custody action of a scan storing what it saw.
const Captured = "captured"

// ExchangeLimit bounds the request and the response kept in one evidence
// file (each; the scan runner bounds a whole scan's evidence too).
const ExchangeLimit = 64 << 10

// File is one evidence file of a finding.
type File struct {
	ID          int64     `json:"id"`
	FindingID   int64     `json:"finding_id"`
	ScanID      int64     `json:"scan_id,omitempty"` // the scan that captured it
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	Name        string    `json:"name"`
	CapturedAt  time.Time `json:"captured_at"`
}

// fileFolder is a finding's folder in the evidence store.
func fileFolder(findingID int64) string { return "finding/" + strconv.FormatInt(findingID, 10) }

// exchange is the text of an evidence file: what was asked and answered.
// The scan that captured it is in its record, not in its bytes, so that
// a rescan seeing the same answer keeps no second copy.
func exchange(o Observation) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Garda: %s at %s\n", o.CheckKey, o.Location)
	if o.Evidence.MatchedAt != "" {
		fmt.Fprintf(&b, "# matched-at: %s\n", o.Evidence.MatchedAt)
	}
	fmt.Fprintf(&b, "\n## Request\n\n%s\n\n## Response\n\n%s\n",
		truncate(o.Evidence.Request, ExchangeLimit), truncate(o.Evidence.Response, ExchangeLimit))
	return b.Bytes()
}

// fileName is a plain file name for the exchange (evidence.SanitizeName's rules).
func fileName(scanID int64, checkKey string) string {
	safe := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '-'
	}, checkKey)
	if len(safe) > 150 {
		safe = safe[:150]
	}
	return fmt.Sprintf("scan-%d-%s.txt", scanID, safe)
}

// keepExchange stores the request/response pair behind an observation as
// the finding's evidence, in the sweep's transaction; nothing when the
// check kept neither or the sweep has no evidence store. The same bytes
// already kept for the finding are not kept twice.
func keepExchange(ctx context.Context, tx *store.Tx, s Sweep, at time.Time, id int64, o Observation) error {
	if s.Files.Dir == "" || (o.Evidence.Request == "" && o.Evidence.Response == "") {
		return nil
	}
	name := fileName(s.ScanID, o.CheckKey)
	f, _, err := s.Files.Put(fileFolder(id), name, bytes.NewReader(exchange(o)))
	if err != nil {
		return fmt.Errorf("keep the exchange as evidence: %w", err)
	}
	var scanRef any
	if s.ScanID > 0 {
		scanRef = s.ScanID
	}
	var eid int64
	err = tx.QueryRow(ctx, `INSERT INTO finding_evidence (finding_id, scan_id, sha256, size, content_type, name, captured_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (finding_id, sha256) DO NOTHING RETURNING id`,
		id, scanRef, f.SHA256, f.Size, f.ContentType, f.Name, at).Scan(&eid)
	if errors.Is(err, store.ErrNotFound) {
		return nil // kept before
	} else if err != nil {
		return fmt.Errorf("finding %d evidence: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO finding_evidence_custody (evidence_id, at, actor, action) VALUES (?, ?, ?, ?)`,
		eid, at, scanActor.Username, Captured); err != nil {
		return fmt.Errorf("finding %d evidence custody: %w", id, err)
	}
	return audit.Record(ctx, tx, scanActor, "finding.evidence.capture", RecordKind, id,
		map[string]any{"evidence_id": eid, "scan_id": s.ScanID, "sha256": f.SHA256, "size": f.Size, "name": f.Name})
}

const fileColumns = `id, finding_id, COALESCE(scan_id, 0), sha256, size, content_type, name, captured_at FROM finding_evidence`

func scanFile(r store.Scanner) (File, error) {
	var f File
	err := r.Scan(&f.ID, &f.FindingID, &f.ScanID, &f.SHA256, &f.Size, &f.ContentType, &f.Name, &f.CapturedAt)
	return f, err
}

// Files lists a finding's evidence files, newest first; a finding the
// principal may not read is not found.
func Files(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]File, error) {
	if _, err := Get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+fileColumns+` WHERE finding_id = ? ORDER BY id DESC LIMIT 200`, id)
	if err != nil {
		return nil, fmt.Errorf("finding %d evidence: %w", id, err)
	}
	return store.Collect(rows, scanFile)
}

func fileOf(ctx context.Context, q store.Querier, who auth.Principal, id, eid int64) (File, error) {
	if _, err := Get(ctx, q, who, id); err != nil {
		return File{}, err
	}
	f, err := scanFile(q.QueryRow(ctx, `SELECT `+fileColumns+` WHERE id = ? AND finding_id = ?`, eid, id))
	if errors.Is(err, store.ErrNotFound) {
		return File{}, problem.New(problem.NotFound, "no evidence %d of finding %d", eid, id)
	}
	return f, err
}

// OpenFile hands out one evidence file of a finding the principal may
// read, after checking it still hashes to its SHA-256, and records the
// download in its chain of custody (addr: the client's address). The
// caller closes the file.
func OpenFile(ctx context.Context, db *store.DB, files evidence.Store, who auth.Principal, id, eid int64, addr string) (File, *os.File, error) {
	f, err := fileOf(ctx, db, who, id, eid)
	if err != nil {
		return File{}, nil, err
	}
	fh, err := files.Open(fileFolder(id), evidence.File{SHA256: f.SHA256, Size: f.Size})
	if err != nil {
		return File{}, nil, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO finding_evidence_custody (evidence_id, at, actor_id, actor, actor_org, action, addr) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			f.ID, store.Now(), who.User.ID, who.User.Username, who.Org.Slug, evidence.Downloaded, addr); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "finding.evidence.download", RecordKind, id, map[string]any{"evidence_id": f.ID, "sha256": f.SHA256})
	})
	if err != nil {
		fh.Close()
		return File{}, nil, fmt.Errorf("finding %d evidence %d custody: %w", id, eid, err)
	}
	return f, fh, nil
}

// CustodyOf is an evidence file's chain of custody, oldest first.
func CustodyOf(ctx context.Context, q store.Querier, who auth.Principal, id, eid int64) ([]evidence.Custody, error) {
	if _, err := fileOf(ctx, q, who, id, eid); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, at, actor, actor_org, action, addr FROM finding_evidence_custody WHERE evidence_id = ? ORDER BY id`, eid)
	if err != nil {
		return nil, fmt.Errorf("evidence %d custody: %w", eid, err)
	}
	return store.Collect(rows, func(r store.Scanner) (evidence.Custody, error) {
		var c evidence.Custody
		return c, r.Scan(&c.ID, &c.At, &c.Actor, &c.ActorOrg, &c.Action, &c.Addr)
	})
}

// CarryFiles copies a promoted finding's evidence files to its incident
// (each opens its chain of custody there as uploaded by the promoter),
// so the incident holds what the scans saw. It returns how many.
func CarryFiles(ctx context.Context, db *store.DB, files evidence.Store, to incident.EvidenceStore, who auth.Principal, id int64, incidentRef, addr string) (int, error) {
	list, err := Files(ctx, db, who, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := len(list) - 1; i >= 0; i-- { // oldest first
		f := list[i]
		fh, err := files.Open(fileFolder(id), evidence.File{SHA256: f.SHA256, Size: f.Size})
		if err != nil {
			return n, fmt.Errorf("finding %d evidence %d: %w", id, f.ID, err)
		}
		_, err = to.Save(ctx, db, who, incidentRef, addr, func() (string, io.Reader, error) { return f.Name, fh, nil })
		fh.Close()
		if err != nil {
			return n, fmt.Errorf("carry finding %d evidence %d to %s: %w", id, f.ID, incidentRef, err)
		}
		n++
	}
	return n, nil
}
