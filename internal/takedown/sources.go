package takedown

import (
	"context"
	"fmt"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Evidence is a capture a request rests on, with its hash: the patrol's
// stored copy of a post and the hash of its text, or an incident's
// evidence file. The chain of custody stays with the source.
type Evidence struct {
	Source string `json:"source"` // patrol, incident
	Ref    string `json:"ref"`    // PTR-000001, the incident's id
	Name   string `json:"name,omitempty"`
	SHA256 string `json:"sha256"`
}

// fromSources fills n's URLs, and gathers the evidence, from the patrol
// item or the incident it names, read as who (a source who cannot read is
// "not found"). The source's label and region are the request's unless
// given.
func fromSources(ctx context.Context, q store.Querier, who auth.Principal, n *New) ([]Evidence, error) {
	var ev []Evidence
	if n.FromPatrol > 0 {
		it, err := patrol.Get(ctx, q, who, n.FromPatrol)
		if err != nil {
			return nil, err
		}
		if it.URL == "" {
			return nil, problem.Field("from_patrol", "%s has no URL to take down", it.HumanID)
		}
		n.URLs = append([]string{it.URL}, n.URLs...)
		if it.EvidenceSHA256 != "" {
			ev = append(ev, Evidence{Source: "patrol", Ref: it.HumanID, Name: "tangkapan " + it.EvidenceType, SHA256: it.EvidenceSHA256})
		}
		ev = append(ev, Evidence{Source: "patrol", Ref: it.HumanID, Name: "teks", SHA256: it.TextSHA256})
		if n.TLP == "" {
			n.TLP = string(it.TLP)
		}
		if n.Region == "" && it.Region != "" {
			n.Region = it.Region
		}
	}
	if n.FromIncident != "" {
		inc, err := incident.Get(ctx, q, who, n.FromIncident)
		if err != nil {
			return nil, err
		}
		obs, err := incident.Observables(ctx, q, who, n.FromIncident)
		if err != nil {
			return nil, err
		}
		var urls []string
		for _, o := range obs {
			switch o.Type {
			case "url":
				urls = append(urls, o.Value)
			case "domain":
				urls = append(urls, "https://"+strings.TrimSuffix(o.Value, ".")+"/")
			}
		}
		if len(urls) == 0 {
			return nil, problem.Field("from_incident", "%s has no URL or domain observable to take down", inc.HumanID)
		}
		n.URLs = append(n.URLs, urls...)
		files, err := incident.EvidenceList(ctx, q, who, n.FromIncident)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			ev = append(ev, Evidence{Source: "incident", Ref: inc.HumanID, Name: f.Name, SHA256: f.SHA256})
		}
		if n.TLP == "" {
			n.TLP = string(inc.TLP)
		}
		if n.Region == "" && inc.Region != "" {
			n.Region = inc.Region
		}
	}
	return ev, nil
}

// storeEvidence records a request's evidence in its creation's transaction.
func storeEvidence(ctx context.Context, tx *store.Tx, id int64, ev []Evidence) error {
	for _, e := range ev {
		if _, err := tx.Exec(ctx, `INSERT INTO takedown_evidence (takedown_id, source, ref, name, sha256) VALUES (?, ?, ?, ?, ?)`,
			id, e.Source, e.Ref, e.Name, e.SHA256); err != nil {
			return fmt.Errorf("store takedown evidence: %w", err)
		}
	}
	return nil
}

func loadEvidence(ctx context.Context, q store.Querier, id int64) ([]Evidence, error) {
	rows, err := q.Query(ctx, `SELECT source, ref, name, sha256 FROM takedown_evidence WHERE takedown_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("takedown evidence: %w", err)
	}
	return store.Collect(rows, func(s store.Scanner) (Evidence, error) {
		var e Evidence
		return e, s.Scan(&e.Source, &e.Ref, &e.Name, &e.SHA256)
	})
}
