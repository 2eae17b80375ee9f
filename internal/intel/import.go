package intel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// MaxBundle bounds a bundle Import reads, in bytes.
const MaxBundle = 64 << 20

// MaxObjects bounds the objects of one bundle.
const MaxObjects = 200000

// stixTypes are the object types of STIX 2.1 that Import keeps as they
// are (beside indicators, which become Garda indicators).
var stixTypes = []string{
	"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident", "infrastructure", "intrusion-set",
	"location", "malware", "malware-analysis", "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
	"relationship", "sighting", "language-content", "extension-definition",
	"artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr",
	"mac-addr", "mutex", "network-traffic", "process", "software", "url", "user-account", "windows-registry-key", "x509-certificate",
}

// ObjectError is what is wrong with one object of a bundle.
type ObjectError struct {
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	Type  string `json:"type,omitempty"`
	Error string `json:"error"`
}

// ImportError lists every object that stopped an import; nothing of the
// bundle was kept.
type ImportError struct{ Objects []ObjectError }

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bundle refused, nothing imported: %d objects are wrong", len(e.Objects))
	for i, o := range e.Objects {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Objects)-20)
			break
		}
		fmt.Fprintf(&b, "\n  object %d (%s %s): %s", o.Index, o.Type, o.ID, o.Error)
	}
	return b.String()
}

// ImportResult counts what an import kept.
type ImportResult struct {
	Indicators int      `json:"indicators"` // new indicators
	Revoked    int      `json:"revoked"`    // indicators the bundle revoked
	Unchanged  int      `json:"unchanged"`  // indicators already held
	Objects    int      `json:"objects"`    // other STIX objects kept
	Markings   int      `json:"markings"`   // marking-definitions read
	Unknown    []string `json:"unknown,omitempty"`
}

type header struct {
	Type              string          `json:"type"`
	ID                string          `json:"id"`
	SpecVersion       string          `json:"spec_version"`
	CreatedByRef      string          `json:"created_by_ref"`
	Created           string          `json:"created"`
	Modified          string          `json:"modified"`
	Revoked           bool            `json:"revoked"`
	ObjectMarkingRefs []string        `json:"object_marking_refs"`
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	Confidence        *int            `json:"confidence"`
	Pattern           string          `json:"pattern"`
	PatternType       string          `json:"pattern_type"`
	ValidFrom         string          `json:"valid_from"`
	ValidUntil        string          `json:"valid_until"`
	KillChainPhases   json.RawMessage `json:"kill_chain_phases"`
	// Custom properties a MISP import sets (package intel/misp): the
	// attribute's to_ids, and ATT&CK/CAPEC ids from its tags.
	XGardaDetect     bool     `json:"x_garda_detect"`
	XGardaTechniques []string `json:"x_garda_techniques"`
}

func parseStamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("%q is not a STIX timestamp (RFC 3339 in UTC, ending in Z)", s)
	}
	return t.UTC(), nil
}

// Import reads a STIX 2.1 bundle as the principal: every object is checked,
// every error is reported per object, and either all of it is kept (one
// transaction) or nothing. Indicators keep their ids, creators and TLP
// marking (none: AMBER); they are owned by the principal's organisation
// with the principal named. Types STIX does not define are reported and
// skipped.
func Import(ctx context.Context, db *store.DB, who auth.Principal, r io.Reader) (ImportResult, error) {
	var res ImportResult
	if !who.Can(policy.Investigate) {
		return res, problem.New(problem.Forbidden, "your role may not import intelligence")
	}
	body, err := io.ReadAll(io.LimitReader(r, MaxBundle+1))
	if err != nil {
		return res, fmt.Errorf("read bundle: %w", err)
	}
	if len(body) > MaxBundle {
		return res, problem.New(problem.BodyTooLarge, "bundle larger than %d MiB", MaxBundle>>20)
	}
	var bundle struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		return res, problem.New(problem.InvalidJSON, "not a STIX bundle: %v", err)
	}
	if bundle.Type != "bundle" || !validID("bundle", bundle.ID) {
		return res, problem.New(problem.Invalid, "not a STIX bundle: type must be \"bundle\" and id bundle--<uuid>")
	}
	if len(bundle.Objects) > MaxObjects {
		return res, problem.New(problem.BodyTooLarge, "bundle of %d objects; at most %d", len(bundle.Objects), MaxObjects)
	}
	var bad []ObjectError
	fail := func(i int, h header, format string, args ...any) {
		bad = append(bad, ObjectError{Index: i, ID: h.ID, Type: h.Type, Error: fmt.Sprintf(format, args...)})
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i, raw := range bundle.Objects {
			var h header
			if err := json.Unmarshal(raw, &h); err != nil {
				fail(i, h, "not a JSON object of STIX properties: %v", err)
				continue
			}
			if h.Type == "" || !validID(h.Type, h.ID) {
				fail(i, h, "id %q is not <type>--<uuid> of its type", h.ID)
				continue
			}
			if h.SpecVersion != "" && h.SpecVersion != SpecVersion {
				fail(i, h, "spec_version %q; Garda reads 2.1", h.SpecVersion)
				continue
			}
			if h.CreatedByRef != "" && !validID("identity", h.CreatedByRef) {
				fail(i, h, "created_by_ref %q is not an identity id", h.CreatedByRef)
				continue
			}
			tlp, marked := TLPOfMarkings(h.ObjectMarkingRefs)
			if !marked {
				tlp = policy.Amber
			}
			switch {
			case h.Type == "marking-definition":
				res.Markings++
			case h.Type == "indicator":
				if err := importIndicator(ctx, tx, who, h, tlp, &res); err != nil {
					if pe := problem.As(err); pe != nil {
						fail(i, h, "%s", pe.Message)
						continue
					}
					if strings.HasPrefix(err.Error(), "indicator:") {
						fail(i, h, "%s", strings.TrimPrefix(err.Error(), "indicator: "))
						continue
					}
					return err
				}
			case slices.Contains(stixTypes, h.Type):
				if err := keepObject(ctx, tx, who, h, raw, tlp); err != nil {
					return err
				}
				res.Objects++
			default:
				res.Unknown = append(res.Unknown, fmt.Sprintf("object %d: type %q is not STIX 2.1 (skipped)", i, h.Type))
			}
		}
		if len(bad) > 0 {
			return &ImportError{Objects: bad}
		}
		return audit.Record(ctx, tx, who.Actor(), "intel.import", "bundle", bundle.ID, res)
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

func importIndicator(ctx context.Context, tx *store.Tx, who auth.Principal, h header, tlp policy.TLP, res *ImportResult) error {
	if h.PatternType != "stix" {
		return fmt.Errorf("indicator: pattern_type %q; Garda reads stix patterns", h.PatternType)
	}
	k, v, err := ParsePattern(h.Pattern)
	if err != nil {
		return fmt.Errorf("indicator: %w", err)
	}
	from, err := parseStamp(h.ValidFrom)
	if err != nil {
		return fmt.Errorf("indicator: valid_from: %w", err)
	}
	in := Input{Kind: k, Value: v, Name: h.Name, Description: h.Description, Confidence: h.Confidence, ValidFrom: &from,
		TLP: tlp, STIXID: h.ID, Source: "import", CreatedBy: h.CreatedByRef, Detect: h.XGardaDetect}
	for _, t := range h.XGardaTechniques {
		if t = strings.ToUpper(strings.TrimSpace(t)); techniqueRE.MatchString(t) || capecRE.MatchString(t) {
			in.Techniques = append(in.Techniques, t)
		}
	}
	if h.ValidUntil != "" {
		until, err := parseStamp(h.ValidUntil)
		if err != nil {
			return fmt.Errorf("indicator: valid_until: %w", err)
		}
		in.ValidUntil = &until
	}
	if in.CreatedBy == "" {
		in.CreatedBy = IdentityID(who.Org.Slug)
	}
	var id int64
	var revoked int
	err = tx.QueryRow(ctx, `SELECT id, revoked FROM indicators WHERE stix_id = ?`, h.ID).Scan(&id, &revoked)
	if errors.Is(err, store.ErrNotFound) {
		// The organisation may hold the value under its own id already:
		// one value is one indicator, so the partner's adds nothing.
		var held int64
		switch err := tx.QueryRow(ctx, `SELECT id FROM indicators WHERE owner_org_id = ? AND kind = ? AND value = ?`, who.Org.ID, string(k), v).Scan(&held); {
		case err == nil:
			res.Unchanged++
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		i, err := create(ctx, tx, who, in)
		if err != nil {
			return err
		}
		res.Indicators++
		if h.Revoked {
			return revokeInTx(ctx, tx, who, i.ID, "revoked in the imported bundle", res)
		}
		return nil
	case err != nil:
		return err
	}
	// Known already: the bundle may only revoke it, and only when the
	// principal may read it (otherwise it is not ours to touch).
	if _, err := Get(ctx, tx, who, id); err != nil {
		return fmt.Errorf("indicator: %s is held by another organisation you cannot read", h.ID)
	}
	if h.Revoked && revoked == 0 {
		return revokeInTx(ctx, tx, who, id, "revoked in the imported bundle", res)
	}
	res.Unchanged++
	return nil
}

func revokeInTx(ctx context.Context, tx *store.Tx, who auth.Principal, id int64, reason string, res *ImportResult) error {
	now := store.Now()
	if _, err := tx.Exec(ctx, `UPDATE indicators SET revoked = 1, revoked_at = ?, modified_at = ? WHERE id = ?`, now, now, id); err != nil {
		return err
	}
	res.Revoked++
	return audit.Record(ctx, tx, who.Actor(), "indicator.revoke", RecordKind, id, map[string]any{"reason": reason})
}

// keepObject stores a STIX object as it came, owned by the principal's
// organisation; a second import of the same id replaces the body.
func keepObject(ctx context.Context, tx *store.Tx, who auth.Principal, h header, raw json.RawMessage, tlp policy.TLP) error {
	now := store.Now()
	name := h.Name
	if len(name) > maxName {
		name = strings.ToValidUTF8(name[:maxName], "")
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO intel_objects (stix_id, type, name, body, tlp, region, owner_org_id, created_at, modified_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (owner_org_id, stix_id) DO UPDATE SET body = excluded.body, name = excluded.name, tlp = excluded.tlp, modified_at = excluded.modified_at
		RETURNING id`,
		h.ID, h.Type, name, string(raw), string(tlp), who.Org.Region, who.Org.ID, now, now).Scan(&id)
	if err != nil {
		return fmt.Errorf("keep %s: %w", h.ID, err)
	}
	return participant.Add(ctx, tx, ObjectKind, id, participant.Set{Orgs: []int64{who.Org.ID}, Users: []int64{who.User.ID}})
}
