package builtin

import (
	"context"
	"net/http"
	"strings"

	"github.com/garda-id/garda/internal/scan"
)

// CORS sends the Origin headers a browser would send from a hostile page
// and reads what the site allows back.
type CORS struct{}

func (CORS) ID() string   { return "garda-cors" }
func (CORS) Active() bool { return false }

// corsProbeOrigin is an origin nobody owns (.invalid, RFC 2606).
const corsProbeOrigin = "https://evil.garda-probe.invalid"

var (
	corsReflectedCreds = meta{ID: "garda-cors-reflected-origin-credentials", Name: "CORS memantulkan Origin apa pun dengan kredensial", Severity: scan.SeverityHigh,
		Tags: []string{"cors"}, Remedy: "Allow only a fixed list of origins; never echo the request's Origin with Access-Control-Allow-Credentials: true."}
	corsReflected = meta{ID: "garda-cors-reflected-origin", Name: "CORS memantulkan Origin apa pun", Severity: scan.SeverityLow,
		Tags: []string{"cors"}, Remedy: "Allow only a fixed list of origins."}
	corsNull = meta{ID: "garda-cors-null-origin", Name: "CORS mengizinkan Origin null", Severity: scan.SeverityMedium,
		Tags: []string{"cors"}, Remedy: "Never allow the null origin (sandboxed frames and file: pages send it)."}
	corsWildcardCreds = meta{ID: "garda-cors-wildcard-credentials", Name: "CORS wildcard dengan kredensial", Severity: scan.SeverityMedium,
		Tags: []string{"cors"}, Remedy: "Drop Access-Control-Allow-Credentials or name the allowed origins."}
)

func (CORS) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	u := s.base() + "/"
	for _, origin := range []string{corsProbeOrigin, "null"} {
		resp, _, err := get(ctx, env, u, http.Header{"Origin": {origin}})
		if err != nil {
			return err
		}
		acao := strings.TrimSpace(resp.Header.Get("Access-Control-Allow-Origin"))
		creds := strings.EqualFold(strings.TrimSpace(resp.Header.Get("Access-Control-Allow-Credentials")), "true")
		ev := []string{"Origin: " + origin, "Access-Control-Allow-Origin: " + acao, "Access-Control-Allow-Credentials: " + resp.Header.Get("Access-Control-Allow-Credentials")}
		switch {
		case origin == "null" && acao == "null":
			m := corsNull
			if creds {
				m.Severity = scan.SeverityHigh
			}
			emit(result(env, s, m, u, ev...))
		case origin != "null" && acao == origin && creds:
			emit(result(env, s, corsReflectedCreds, u, ev...))
		case origin != "null" && acao == origin:
			emit(result(env, s, corsReflected, u, ev...))
		case origin != "null" && acao == "*" && creds:
			emit(result(env, s, corsWildcardCreds, u, ev...))
		}
	}
	return nil
}
