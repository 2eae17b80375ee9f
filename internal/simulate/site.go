package simulate

import (
	"fmt"
	"strings"

	"github.com/garda-id/garda/internal/region"
)

// Site kinds: what a site serves decides who visits it and what they ask for.
const (
	KindSystem  = "system"  // a national information system (Sipol, Silon, Sidalih): staff sign in and work
	KindLookup  = "lookup"  // the public voter lookup by NIK (cekdptonline)
	KindResults = "results" // public results and election information (Sirekap, infopemilu)
	KindAPI     = "api"     // the API of the polling-station officers' app (Sirekap API)
	KindSite    = "site"    // a KPU website, national or provincial: news, announcements, documents
)

// Site is one web asset whose access log the simulator writes.
type Site struct {
	AssetID int64  `json:"asset_id,omitempty"` // 0 when unknown (file output needs none)
	Name    string `json:"name"`
	Host    string `json:"host"`
	Region  string `json:"region,omitempty"` // Kemendagri code; "" national
	Kind    string `json:"kind"`             // one of the Kind constants
}

func (s Site) validate() error {
	if s.Host == "" || strings.ContainsAny(s.Host, "/\\ \t\n") || s.Host == "." || s.Host == ".." {
		return fmt.Errorf("simulate: site %q: host %q is not a host name", s.Name, s.Host)
	}
	switch s.Kind {
	case KindSystem, KindLookup, KindResults, KindAPI, KindSite:
		return nil
	}
	return fmt.Errorf("simulate: site %s: unknown kind %q (one of system, lookup, results, api, site)", s.Host, s.Kind)
}

// national systems of the demo world, with their example domains.
var nationalSites = []Site{
	{Name: "Sipol", Host: "sipol.kpu.example.id", Kind: KindSystem},
	{Name: "Silon", Host: "silon.kpu.example.id", Kind: KindSystem},
	{Name: "Sidalih", Host: "sidalih.kpu.example.id", Kind: KindSystem},
	{Name: "Sirekap", Host: "sirekap.kpu.example.id", Kind: KindResults},
	{Name: "Sirekap API", Host: "api.sirekap.kpu.example.id", Kind: KindAPI},
	{Name: "cekdptonline", Host: "cekdptonline.kpu.example.id", Kind: KindLookup},
	{Name: "infopemilu", Host: "infopemilu.kpu.example.id", Kind: KindResults},
	{Name: "JDIH KPU", Host: "jdih.kpu.example.id", Kind: KindSite},
	{Name: "Situs KPU RI", Host: "www.kpu.example.id", Kind: KindSite},
}

// A few provinces' KPU sites: the populous ones and both ends of the nation.
var defaultProvinces = []struct{ code, short string }{
	{"31", "dki"}, {"32", "jabar"}, {"33", "jateng"}, {"35", "jatim"}, {"12", "sumut"}, {"73", "sulsel"}, {"51", "bali"}, {"91", "papua"},
}

// DefaultSites mirrors the demo world (internal/demo): KPU's national
// systems and a few provincial KPU sites, named and hosted as the demo
// seeds them, with no asset ids.
func DefaultSites() []Site {
	sites := append([]Site(nil), nationalSites...)
	for _, p := range defaultProvinces {
		name := "Situs KPU Provinsi " + p.code
		if r, ok := region.Lookup(p.code); ok {
			name = "Situs KPU Provinsi " + r.Name
		}
		sites = append(sites, Site{Name: name, Host: "kpu-" + p.short + ".example.id", Region: p.code, Kind: KindSite})
	}
	return sites
}

// GuessKind names the kind of a KPU asset from its host name, for callers
// that hold assets rather than Sites (the demo's seeded assets).
func GuessKind(host string) string {
	h := strings.ToLower(host)
	switch {
	case strings.Contains(h, "cekdpt"):
		return KindLookup
	case strings.HasPrefix(h, "api."):
		return KindAPI
	case strings.Contains(h, "sirekap") || strings.Contains(h, "infopemilu") || strings.Contains(h, "hasil"):
		return KindResults
	case strings.HasPrefix(h, "si") && strings.Contains(h, ".kpu."):
		return KindSystem
	}
	return KindSite
}
