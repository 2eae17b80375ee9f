package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/fetch"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/patrol"
	"github.com/garda-id/garda/internal/patrol/analysis"
	"github.com/garda-id/garda/internal/patrol/source"
	"github.com/garda-id/garda/internal/platform"
	patrolpages "github.com/garda-id/garda/internal/web/patrol"
)

// wirePatrol gives the cyber patrol its parts: its sources reach the
// networks pol allows (the scans' policy: the public internet, or
// loopback in the demo), its items are read by the fact-check matcher, the
// personal-data scanner and OCR (internal/patrol/analysis), its captures go
// to the evidence store under the data directory, and each new item is
// told to the live queues.
func wirePatrol(p *platform.Platform, pol fetch.Policy, resolver string) *source.Runner {
	if p.Claims == nil {
		p.Claims = claim.NewService(p.DB)
	}
	r := &source.Runner{
		DB:       p.DB,
		Pipeline: analysis.Pipeline(p.Claims),
		Saver:    patrol.Saver{DB: p.DB, Evidence: evidence.Store{Dir: p.Config.DataDir}},
		Policy:   pol,
		Holder:   instanceName(),
		Resolver: resolver,
		Log:      p.Log.With("pillar", "patrol"),
	}
	if p.Bus != nil {
		r.OnItem = func(id int64) { live.Notify(context.Background(), p.Bus, p.Log, patrolpages.ItemKind, id) }
	}
	return r
}

// resolver is the DNS server lookalike sources ask: --scan-resolver, else
// the system's first nameserver.
func (f scheduleFlags) resolver() string {
	if f.scanResolver != "" {
		return f.scanResolver
	}
	if cc, err := dns.ClientConfigFromFile("/etc/resolv.conf"); err == nil && len(cc.Servers) > 0 {
		return net.JoinHostPort(cc.Servers[0], cc.Port)
	}
	return ""
}

// instanceName names this instance in the patrol's crawl claims.
func instanceName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}
