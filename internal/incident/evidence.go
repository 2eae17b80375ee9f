package incident

import (
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
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// DefaultEvidenceMaxBytes bounds one evidence file unless the store says otherwise.
const DefaultEvidenceMaxBytes = evidence.DefaultMaxBytes

// Evidence is one file attached to an incident.
type Evidence struct {
	ID          int64     `json:"id"`
	IncidentID  int64     `json:"incident_id"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"` // sniffed from the bytes, not taken from the client
	Name        string    `json:"name"`         // the sanitised original name; never a path
	UploadedBy  string    `json:"uploaded_by,omitempty"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Custody is one entry of an evidence file's chain of custody.
type Custody = evidence.Custody

// EvidenceStore keeps an incident's evidence files in the shared evidence
// store (package evidence), under the folder of the incident's id:
// Dir/evidence/<incident id>/<sha256>. The incident keeps the records, the
// rights and the chain of custody.
type EvidenceStore struct {
	Dir      string // the platform's data directory
	MaxBytes int64  // 0 = DefaultEvidenceMaxBytes
}

func (s EvidenceStore) files() evidence.Store {
	return evidence.Store{Dir: s.Dir, MaxBytes: s.MaxBytes}
}

// Limit is the largest file the store accepts.
func (s EvidenceStore) Limit() int64 { return s.files().Limit() }

// folder is an incident's folder in the evidence store.
func folder(incidentID int64) string { return strconv.FormatInt(incidentID, 10) }

// Save stores an uploaded file on an incident the principal may read and
// work. The incident is checked before next is called for the file's name
// and bytes; a file over the limit, or a bad name, stores nothing. The
// upload opens the file's chain of custody.
func (s EvidenceStore) Save(ctx context.Context, db *store.DB, who auth.Principal, ref, addr string,
	next func() (name string, body io.Reader, err error)) (Evidence, error) {
	inc, err := get(ctx, db, who, ref)
	if err != nil {
		return Evidence{}, err
	}
	if err := s.files().Ready(); err != nil {
		return Evidence{}, err
	}
	if err := allow(who, inc, policy.CaseEvidence, "adding evidence"); err != nil {
		return Evidence{}, err
	}
	raw, body, err := next()
	if err != nil {
		return Evidence{}, err
	}
	f, fresh, err := s.files().Put(folder(inc.ID), raw, body)
	if err != nil {
		return Evidence{}, err
	}
	e := Evidence{IncidentID: inc.ID, SHA256: f.SHA256, Size: f.Size, ContentType: f.ContentType,
		Name: f.Name, UploadedBy: who.User.Username, UploadedAt: store.Now()}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := get(ctx, tx, who, ref); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO incident_evidence (incident_id, sha256, size, content_type, name, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.IncidentID, e.SHA256, e.Size, e.ContentType, e.Name, who.User.ID, e.UploadedAt).Scan(&e.ID); err != nil {
			return fmt.Errorf("insert evidence: %w", err)
		}
		if err := addCustody(ctx, tx, who, e.ID, evidence.Uploaded, addr); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, e.UploadedAt, inc.ID); err != nil {
			return err
		}
		detail := map[string]any{"evidence_id": e.ID, "name": e.Name, "sha256": e.SHA256, "size": e.Size, "content_type": e.ContentType}
		if err := addEntry(ctx, tx, who, inc.ID, "evidence", e.Name, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.evidence.upload", RecordKind, inc.ID, detail)
	})
	if err != nil {
		if fresh {
			s.files().Discard(folder(inc.ID), f.SHA256)
		}
		return Evidence{}, fmt.Errorf("add evidence to incident %s: %w", ref, err)
	}
	return e, nil
}

func addCustody(ctx context.Context, tx *store.Tx, who auth.Principal, evidenceID int64, action, addr string) error {
	_, err := tx.Exec(ctx, `INSERT INTO incident_evidence_custody (evidence_id, at, actor_id, actor, actor_org, action, addr) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		evidenceID, store.Now(), who.User.ID, who.User.Username, who.Org.Slug, action, addr)
	if err != nil {
		return fmt.Errorf("evidence %d custody: %w", evidenceID, err)
	}
	return nil
}

const evidenceColumns = `e.id, e.incident_id, e.sha256, e.size, e.content_type, e.name, COALESCE(u.username, ''), e.uploaded_at
	FROM incident_evidence e LEFT JOIN users u ON u.id = e.uploaded_by`

func scanEvidence(row store.Scanner) (Evidence, error) {
	var e Evidence
	err := row.Scan(&e.ID, &e.IncidentID, &e.SHA256, &e.Size, &e.ContentType, &e.Name, &e.UploadedBy, &e.UploadedAt)
	return e, err
}

// EvidenceList lists an incident's evidence files, oldest first.
func EvidenceList(ctx context.Context, q store.Querier, who auth.Principal, ref string) ([]Evidence, error) {
	inc, err := get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+evidenceColumns+` WHERE e.incident_id = ? ORDER BY e.id`, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("incident evidence: %w", err)
	}
	return store.Collect(rows, scanEvidence)
}

// findEvidence finds one evidence file of a readable incident.
func findEvidence(ctx context.Context, q store.Querier, who auth.Principal, ref, eid string) (Evidence, error) {
	inc, err := get(ctx, q, who, ref)
	if err != nil {
		return Evidence{}, err
	}
	id, err := strconv.ParseInt(strings.TrimSpace(eid), 10, 64)
	if err != nil || id <= 0 {
		return Evidence{}, problem.New(problem.NotFound, "no evidence %q", eid)
	}
	e, err := scanEvidence(q.QueryRow(ctx, `SELECT `+evidenceColumns+` WHERE e.id = ? AND e.incident_id = ?`, id, inc.ID))
	if errors.Is(err, store.ErrNotFound) {
		return Evidence{}, problem.New(problem.NotFound, "no evidence %q on incident %s", eid, inc.HumanID)
	}
	return e, err
}

// Open hands out an evidence file's bytes and records the download in its
// chain of custody (who, when, from which address) and the audit chain.
// The caller closes the file.
func (s EvidenceStore) Open(ctx context.Context, db *store.DB, who auth.Principal, ref, eid, addr string) (Evidence, *os.File, error) {
	var e Evidence
	var f *os.File
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if e, err = findEvidence(ctx, tx, who, ref, eid); err != nil {
			return err
		}
		if err := s.files().Ready(); err != nil {
			return err
		}
		if f, err = s.files().Open(folder(e.IncidentID), evidence.File{SHA256: e.SHA256, Size: e.Size}); err != nil {
			return fmt.Errorf("evidence %d: %w", e.ID, err)
		}
		if err := addCustody(ctx, tx, who, e.ID, evidence.Downloaded, addr); err != nil {
			return err
		}
		detail := map[string]any{"evidence_id": e.ID, "sha256": e.SHA256, "addr": addr}
		return audit.Record(ctx, tx, who.Actor(), "incident.evidence.download", RecordKind, e.IncidentID, detail)
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return Evidence{}, nil, fmt.Errorf("open evidence %s of incident %s: %w", eid, ref, err)
	}
	return e, f, nil
}

// CustodyOf lists an evidence file's chain of custody, oldest first.
func CustodyOf(ctx context.Context, q store.Querier, who auth.Principal, ref, eid string) ([]Custody, error) {
	e, err := findEvidence(ctx, q, who, ref, eid)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT id, at, actor, actor_org, action, addr FROM incident_evidence_custody WHERE evidence_id = ? ORDER BY id`, e.ID)
	if err != nil {
		return nil, fmt.Errorf("evidence custody: %w", err)
	}
	defer rows.Close()
	out := []Custody{}
	for rows.Next() {
		var c Custody
		if err := rows.Scan(&c.ID, &c.At, &c.Actor, &c.ActorOrg, &c.Action, &c.Addr); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
