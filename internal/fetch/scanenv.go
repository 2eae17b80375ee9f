package fetch

import (
	"net/http"

	"github.com/garda-id/garda/internal/scan"
)

// ScanEnv is the scan pillar's EnvFactory: each scan reaches its targets
// through a Fetcher of its own that presses every host no harder than the
// authorisation allows (its requests/s and connections), connects only
// where policy permits (the address guard, checked on every dial,
// redirects included), and accepts broken certificates, which the TLS
// checks judge themselves, and expands template payload lists no further
// than scan.DefaultPayloadCap. resolver is the DNS server the dns checks ask
// ("" = the system's).
func ScanEnv(policy Policy, resolver string) scan.EnvFactory {
	return func(a scan.Authorization) *scan.Env {
		f := New(Config{
			Policy:      policy,
			PerHost:     HostLimit{Conns: a.Concurrency, RPS: a.RatePerSecond},
			InsecureTLS: true,
			Options:     scanRequestOptions,
		})
		return &scan.Env{HTTP: f.Client(), Dial: f.Dial, Resolver: resolver, PayloadCap: scan.DefaultPayloadCap}
	}
}

// scanRequestOptions passes a check's @tls-sni and proxy requests to the
// transport, so that they go through the same guards and politeness.
func scanRequestOptions(r *http.Request) RequestOptions {
	o, _ := scan.RequestOptionsFrom(r.Context())
	return RequestOptions{ServerName: o.ServerName, Proxy: o.Proxy}
}
