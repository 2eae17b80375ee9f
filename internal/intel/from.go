package intel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/finding"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// observableKind maps an incident observable's type to an indicator kind;
// accounts and NIK counts are not indicators.
func observableKind(o incident.Observable) (Kind, bool) {
	switch o.Type {
	case "ip":
		if strings.Contains(o.Value, ":") {
			return IPv6, true
		}
		return IPv4, true
	case "domain":
		return Domain, true
	case "url":
		return URL, true
	case "email":
		return Email, true
	case "hash":
		switch o.HashKind {
		case "md5":
			return MD5, true
		case "sha1":
			return SHA1, true
		case "sha256":
			return SHA256, true
		}
	}
	return "", false
}

// FromIncidentResult says what FromIncident made of each observable.
type FromIncidentResult struct {
	Created  []Indicator `json:"created"`
	Existing []Indicator `json:"existing"` // the organisation held them already
	Skipped  []string    `json:"skipped"`  // not indicators (accounts, NIK counts) or not valid as one
}

// FromIncident makes every observable of an incident the principal may read
// an indicator of its organisation, at the incident's TLP and region (the
// incident's named users named on each), in one transaction.
func FromIncident(ctx context.Context, db *store.DB, who auth.Principal, ref string) (FromIncidentResult, error) {
	res := FromIncidentResult{Created: []Indicator{}, Existing: []Indicator{}, Skipped: []string{}}
	inc, err := incident.Get(ctx, db, who, ref)
	if err != nil {
		return res, err
	}
	obs, err := incident.Observables(ctx, db, who, ref)
	if err != nil {
		return res, err
	}
	rec := inc.Record()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range obs {
			k, ok := observableKind(o)
			if !ok {
				res.Skipped = append(res.Skipped, o.Type+" "+o.Value)
				continue
			}
			v, err := Normalize(k, o.Value)
			if err != nil {
				res.Skipped = append(res.Skipped, fmt.Sprintf("%s %s: %v", o.Type, o.Value, err))
				continue
			}
			if hit, warned := Warned(k, v); warned {
				res.Skipped = append(res.Skipped, fmt.Sprintf("%s %s: on the %s, never an indicator", o.Type, o.Value, hit))
				continue
			}
			var id int64
			err = tx.QueryRow(ctx, `SELECT id FROM indicators WHERE owner_org_id = ? AND kind = ? AND value = ?`, who.Org.ID, string(k), v).Scan(&id)
			switch {
			case err == nil:
				i, err := Get(ctx, tx, who, id)
				if err != nil {
					return err
				}
				res.Existing = append(res.Existing, i)
				continue
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			region := inc.Region
			i, err := create(ctx, tx, who, Input{Kind: k, Value: v, Name: inc.Title, Description: strings.TrimSpace(inc.HumanID + " " + o.Note),
				TLP: inc.TLP, Region: &region, Users: rec.Users, Source: "incident", SourceRef: inc.HumanID})
			if err != nil {
				return err
			}
			res.Created = append(res.Created, i)
		}
		return nil
	})
	if err != nil {
		return FromIncidentResult{}, err
	}
	return res, nil
}

// ObjectKind names intel objects in the participant tables and the audit
// chain.
const ObjectKind = "intel_object"

// IntelObject is a STIX object Garda keeps beside indicators
// (vulnerabilities, attack patterns, imported reports, ...).
type IntelObject struct {
	ID     int64           `json:"id"`
	STIXID string          `json:"stix_id"`
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	Body   json.RawMessage `json:"body"`
	TLP    policy.TLP      `json:"tlp"`
	Region string          `json:"region"`
}

// FromFinding makes a finding's CVEs (its vulnerable version) STIX
// vulnerabilities of the principal's organisation, at the finding's TLP
// and region, each with a report naming the asset's finding. A finding
// without a CVE is a clear error.
func FromFinding(ctx context.Context, db *store.DB, who auth.Principal, findingID int64) ([]IntelObject, error) {
	if !who.Can(policy.Investigate) {
		return nil, problem.New(problem.Forbidden, "your role may not create intelligence")
	}
	f, err := finding.Get(ctx, db, who, findingID)
	if err != nil {
		return nil, err
	}
	if len(f.Evidence.CVE) == 0 {
		return nil, problem.New(problem.Invalid, "finding %s names no CVE", f.HumanID)
	}
	var out []IntelObject
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, c := range f.Evidence.CVE {
			v, err := VulnerabilityOf(c, f.Title)
			if err != nil {
				continue // a scanner's odd CVE field is not ours to fail on
			}
			body, _ := json.Marshal(v)
			now := store.Now()
			if _, err := tx.Exec(ctx, `INSERT INTO intel_objects (stix_id, type, name, body, tlp, region, owner_org_id, created_at, modified_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner_org_id, stix_id) DO NOTHING`,
				v.ID, v.Type, v.Name, string(body), string(f.TLP), f.Region, who.Org.ID, now, now); err != nil {
				return fmt.Errorf("keep %s: %w", v.Name, err)
			}
			var o IntelObject
			var b, tlp string
			if err := tx.QueryRow(ctx, `SELECT id, stix_id, type, name, body, tlp, region FROM intel_objects WHERE owner_org_id = ? AND stix_id = ?`,
				who.Org.ID, v.ID).Scan(&o.ID, &o.STIXID, &o.Type, &o.Name, &b, &tlp, &o.Region); err != nil {
				return err
			}
			o.Body, o.TLP = json.RawMessage(b), policy.TLP(tlp)
			if err := participant.Add(ctx, tx, ObjectKind, o.ID, participant.Set{Orgs: []int64{who.Org.ID}, Users: []int64{who.User.ID}}); err != nil {
				return err
			}
			out = append(out, o)
			if err := audit.Record(ctx, tx, who.Actor(), "intel.vulnerability", ObjectKind, o.ID,
				map[string]any{"cve": v.Name, "finding": strconv.FormatInt(f.ID, 10)}); err != nil {
				return err
			}
		}
		if len(out) == 0 {
			return problem.New(problem.Invalid, "finding %s names no valid CVE id", f.HumanID)
		}
		return nil
	})
	return out, err
}
