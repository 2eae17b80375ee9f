package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// RecordKind names elections in the audit log.
const RecordKind = "election"

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// Load returns the shipped calendar with the elections coordinators
// entered. The calendar is public knowledge (KPU publishes it): every
// signed-in user reads all of it.
func Load(ctx context.Context, db store.Querier) (*Calendar, error) {
	rows, err := db.Query(ctx, `SELECT e.id, e.slug, e.name, e.source, p.id, p.phase_key, p.name, p.starts_on, p.ends_on, p.posture, p.critical, p.focus
		FROM elections e LEFT JOIN election_phases p ON p.election_id = e.id ORDER BY e.id, p.starts_on, p.id`)
	if err != nil {
		return nil, fmt.Errorf("load elections: %w", err)
	}
	defer rows.Close()
	var entered []Election
	for rows.Next() {
		var e Election
		var pid *int64
		var key, name, start, end, posture, critical, focus *string
		if err := rows.Scan(&e.ID, &e.Slug, &e.Name, &e.Source, &pid, &key, &name, &start, &end, &posture, &critical, &focus); err != nil {
			return nil, err
		}
		if n := len(entered); n == 0 || entered[n-1].ID != e.ID {
			e.Phases = []Phase{}
			entered = append(entered, e)
		}
		if pid == nil {
			continue
		}
		p := Phase{ID: *pid, Election: e.Slug, Key: *key, Name: *name, Start: *start, End: *end, Posture: Posture(*posture)}
		if err := json.Unmarshal([]byte(*critical), &p.Critical); err != nil {
			return nil, fmt.Errorf("phase %d: critical: %w", p.ID, err)
		}
		if err := json.Unmarshal([]byte(*focus), &p.Focus); err != nil {
			return nil, fmt.Errorf("phase %d: focus: %w", p.ID, err)
		}
		last := &entered[len(entered)-1]
		last.Phases = append(last.Phases, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return Shipped().With(entered...), nil
}

// mayEdit: the calendar sets every room's posture, so only national
// coordinators change it.
func mayEdit(who auth.Principal) error {
	if policy.Role(who.User.Role) != policy.RoleCoordinator || who.Viewer.Scope != "" {
		return problem.New(problem.Forbidden, "only a national coordinator enters elections")
	}
	return nil
}

// NewElection is an election as a coordinator enters it.
type NewElection struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Source string `json:"source"`
}

// CreateElection records a new election.
func CreateElection(ctx context.Context, db *store.DB, who auth.Principal, in NewElection) (Election, error) {
	if err := mayEdit(who); err != nil {
		return Election{}, err
	}
	in.Slug, in.Name, in.Source = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name), strings.TrimSpace(in.Source)
	if !slugPattern.MatchString(in.Slug) {
		return Election{}, problem.Field("slug", "must be 2-63 lower-case letters, digits and hyphens")
	}
	if in.Name == "" {
		return Election{}, problem.Field("name", "required")
	}
	for _, e := range Shipped().Elections {
		if e.Slug == in.Slug {
			return Election{}, problem.New(problem.Conflict, "election %q is shipped with Garda", in.Slug)
		}
	}
	e := Election{Slug: in.Slug, Name: in.Name, Source: in.Source, Phases: []Phase{}}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO elections (slug, name, source, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			e.Slug, e.Name, e.Source, who.User.Username, store.Now()).Scan(&e.ID)
		if errors.Is(err, store.ErrConflict) {
			return problem.New(problem.Conflict, "election %q exists", e.Slug)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "election.create", RecordKind, e.ID, in)
	})
	return e, err
}

// AddPhase adds a phase to an election entered earlier (slug); shipped
// elections keep their official timetable.
func AddPhase(ctx context.Context, db *store.DB, who auth.Principal, slug string, p Phase) (Phase, error) {
	if err := mayEdit(who); err != nil {
		return Phase{}, err
	}
	p.Name, p.Key = strings.TrimSpace(p.Name), strings.TrimSpace(p.Key)
	if !slugPattern.MatchString(p.Key) {
		return Phase{}, problem.Field("key", "must be 2-63 lower-case letters, digits and hyphens")
	}
	if err := p.Validate(); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		return Phase{}, problem.Field(field, "%s", msg)
	}
	if p.Critical == nil {
		p.Critical = []string{}
	}
	for i, c := range p.Critical {
		p.Critical[i] = strings.TrimSpace(c)
		if p.Critical[i] == "" || len(p.Critical[i]) > 100 {
			return Phase{}, problem.Field("critical", "each entry is an asset name or tag of 1-100 characters")
		}
	}
	if p.Focus == nil {
		p.Focus = []string{}
	}
	if len(p.Focus) > 50 {
		return Phase{}, problem.Field("focus", "at most 50 focus words")
	}
	for i, w := range p.Focus {
		p.Focus[i] = strings.TrimSpace(w)
		if p.Focus[i] == "" || len(p.Focus[i]) > 100 {
			return Phase{}, problem.Field("focus", "each focus word or phrase is 1-100 characters")
		}
	}
	crit, _ := json.Marshal(p.Critical)
	focus, _ := json.Marshal(p.Focus)
	p.Election = slug
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var eid int64
		err := tx.QueryRow(ctx, `SELECT id FROM elections WHERE slug = ?`, slug).Scan(&eid)
		if errors.Is(err, store.ErrNotFound) {
			return problem.New(problem.NotFound, "no entered election %q", slug)
		} else if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `INSERT INTO election_phases (election_id, phase_key, name, starts_on, ends_on, posture, critical, focus, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			eid, p.Key, p.Name, p.Start, p.End, string(p.Posture), string(crit), string(focus), who.User.Username, store.Now()).Scan(&p.ID)
		if errors.Is(err, store.ErrConflict) {
			return problem.Field("key", "phase %q exists in %s", p.Key, slug)
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "election.phase.add", RecordKind, eid, p)
	})
	return p, err
}
