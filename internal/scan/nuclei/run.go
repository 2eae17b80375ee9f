package nuclei

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

// Run runs the template's requests against the target, in order; values
// extracted by a request (named extractors) are variables of the requests
// after it. An error means the template could not run at all.
func (t *Template) Run(ctx context.Context, env *scan.Env, tgt scan.Target, emit func(scan.Result)) error {
	if env == nil {
		return errors.New("no Env")
	}
	if t.active && tgt.Mode == scan.Passive {
		// the runner filters by mode; this is the last line of defence
		return fmt.Errorf("%s is an active template: a passive authorisation does not allow it", t.id)
	}
	tg, err := parseTarget(tgt)
	if err != nil {
		return err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	s := &runState{t: t, env: env, tg: tg, dynamic: dsl.Vars{}, jar: newJar(), emit: emit, now: now}
	random := dsl.Vars{"randstr": randomString(27)}
	for i := 1; i <= 9; i++ {
		random["randstr_"+string(rune('0'+i))] = randomString(27)
	}
	s.base = t.templateVars(merge(tg.vars, random), t.overrides)
	var errs []error
	if t.flow != nil {
		s.runFlow(ctx, t.flow, &errs)
		return errors.Join(errs...)
	}
	for _, r := range t.http {
		if err := s.runHTTP(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range t.ssl {
		if err := s.runSSL(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range t.dns {
		if err := s.runDNS(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range t.network {
		if err := s.runNetwork(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// requestVars are the variables of the next request: the target's, the
// template's, and what earlier requests extracted. Template variables
// that name extracted values ("Bearer {{token}}") are evaluated again now
// that the values exist.
func (s *runState) requestVars() dsl.Vars {
	v := merge(s.base, s.dynamic)
	if len(s.dynamic) == 0 {
		return v
	}
	for _, tv := range s.t.variables {
		if _, set := s.t.overrides[tv.name]; set && !tv.constant {
			continue
		}
		if len(dsl.Unresolved(dsl.ToString(s.base[tv.name]))) > 0 {
			v[tv.name] = dsl.Interpolate(tv.value, v)
		}
	}
	return v
}

func randomString(n int) string {
	const set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[rand.IntN(len(set))]
	}
	return string(b)
}

// WithVariables returns a copy of the template whose variables take the
// given values (nuclei's -var / -V), for a caller that sets them.
func (t *Template) WithVariables(vars map[string]string) *Template {
	c := *t
	c.overrides = make(map[string]string, len(vars))
	for k, v := range vars {
		c.overrides[k] = v
	}
	return &c
}
