package builtin

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/garda-id/garda/internal/scan"
)

// Versions reads what a site says about its software (Server,
// X-Powered-By, the generator meta tag), names it in CPE 2.3 and looks it
// up in the shipped list of known-vulnerable versions
// (data/vulnerable-versions.json, each entry citing its advisory).
type Versions struct{}

func (Versions) ID() string   { return "garda-versions" }
func (Versions) Active() bool { return false }

var (
	verDisclosure = meta{ID: "garda-version-disclosure", Name: "Versi perangkat lunak diungkap (version disclosure)", Severity: scan.SeverityLow,
		Tags: []string{"disclosure"}, Remedy: "Hide versions (Apache: ServerTokens Prod, ServerSignature Off; nginx: server_tokens off; PHP: expose_php Off)."}
	verVulnerable = meta{ID: "garda-vulnerable-version", Name: "Versi rentan diketahui (known-vulnerable version)",
		Tags: []string{"cve", "version"}, Remedy: "Upgrade to a fixed release (or confirm the distribution backported the fix)."}
)

//go:embed data/vulnerable-versions.json
var vulnerableJSON []byte

// Advisory is one entry of the shipped list.
type Advisory struct {
	Product    string `json:"product"`
	CPE        string `json:"cpe"`
	CVE        string `json:"cve"`
	Severity   string `json:"severity"`
	Introduced string `json:"introduced"`
	Fixed      string `json:"fixed"`
	Summary    string `json:"summary"`
	Source     string `json:"source"`
}

var advisories = sync.OnceValues(func() ([]Advisory, error) {
	var f struct{ Entries []Advisory }
	if err := json.Unmarshal(vulnerableJSON, &f); err != nil {
		return nil, fmt.Errorf("builtin: data/vulnerable-versions.json: %w", err)
	}
	return f.Entries, nil
})

// Software is one product and version a site disclosed.
type Software struct {
	Product string // the list's product key
	Version string
	CPE     string
	Source  string // "Server: Apache/2.4.57 (Debian)"
}

var productPatterns = []struct {
	re      *regexp.Regexp
	product string
	cpe     string
}{
	{regexp.MustCompile(`(?i)\bApache/(\d+\.\d+\.\d+)`), "apache_httpd", "cpe:2.3:a:apache:http_server"},
	{regexp.MustCompile(`(?i)\bnginx/(\d+\.\d+\.\d+)`), "nginx", "cpe:2.3:a:f5:nginx"},
	{regexp.MustCompile(`(?i)\bPHP/(\d+\.\d+\.\d+)`), "php", "cpe:2.3:a:php:php"},
	{regexp.MustCompile(`(?i)\bOpenSSL/(\d+\.\d+\.\d+[a-z]?)`), "openssl", "cpe:2.3:a:openssl:openssl"},
	{regexp.MustCompile(`(?i)\bMicrosoft-IIS/(\d+\.\d+)`), "iis", "cpe:2.3:a:microsoft:internet_information_services"},
	{regexp.MustCompile(`(?i)\bWordPress (\d+\.\d+(?:\.\d+)?)`), "wordpress", "cpe:2.3:a:wordpress:wordpress"},
	{regexp.MustCompile(`(?i)\bJoomla! (\d+\.\d+(?:\.\d+)?)`), "joomla", "cpe:2.3:a:joomla:joomla\\!"},
	{regexp.MustCompile(`(?i)\bDrupal (\d+(?:\.\d+)*)`), "drupal", "cpe:2.3:a:drupal:drupal"},
}

var reGenerator = regexp.MustCompile(`(?i)<meta[^>]+name=["']generator["'][^>]*content=["']([^"']+)["']|<meta[^>]+content=["']([^"']+)["'][^>]*name=["']generator["']`)

// Disclosed finds the software named in a response's headers and body.
func Disclosed(server, poweredBy string, body []byte) []Software {
	var out []Software
	seen := map[string]bool{}
	scanText := func(label, text string) {
		for _, p := range productPatterns {
			for _, m := range p.re.FindAllStringSubmatch(text, -1) {
				if seen[p.product+m[1]] {
					continue
				}
				seen[p.product+m[1]] = true
				out = append(out, Software{Product: p.product, Version: m[1], CPE: p.cpe + ":" + m[1] + ":*:*:*:*:*:*:*", Source: label + ": " + truncate(text, 200)})
			}
		}
	}
	scanText("Server", server)
	scanText("X-Powered-By", poweredBy)
	for _, m := range reGenerator.FindAllSubmatch(body, 4) {
		g := string(m[1]) + string(m[2])
		scanText("generator", g)
	}
	return out
}

// Affected lists the advisories whose range holds sw's version.
func Affected(sw Software) ([]Advisory, error) {
	all, err := advisories()
	if err != nil {
		return nil, err
	}
	var out []Advisory
	for _, a := range all {
		if a.Product == sw.Product && compareVersions(sw.Version, a.Introduced) >= 0 && compareVersions(sw.Version, a.Fixed) < 0 {
			out = append(out, a)
		}
	}
	return out, nil
}

// compareVersions orders dotted versions, with OpenSSL's trailing letter
// after the number ("1.0.1" < "1.0.1a" < "1.0.1g" < "1.0.2").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y string
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		nx, sx := splitNum(x)
		ny, sy := splitNum(y)
		if nx != ny {
			if nx < ny {
				return -1
			}
			return 1
		}
		if sx != sy {
			if sx < sy {
				return -1
			}
			return 1
		}
	}
	return 0
}

func splitNum(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n, s[i:]
}

func (Versions) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	resp, body, err := get(ctx, env, s.base()+"/", nil)
	if err != nil {
		return err
	}
	for _, sw := range Disclosed(resp.Header.Get("Server"), strings.Join(resp.Header.Values("X-Powered-By"), ", "), body) {
		r := result(env, s, verDisclosure, s.base()+"/", sw.Source, "cpe="+sw.CPE)
		r.MatcherName = sw.Product
		r.Info.Classification = &scan.Classification{CPE: sw.CPE}
		emit(r)
		advs, err := Affected(sw)
		if err != nil {
			return err
		}
		for _, a := range advs {
			m := verVulnerable
			m.Severity = scan.Severity(a.Severity)
			m.Name = verVulnerable.Name + ": " + a.CVE
			r := result(env, s, m, s.base()+"/", sw.Product+" "+sw.Version, a.CVE, "fixed="+a.Fixed)
			r.MatcherName = a.CVE
			r.Info.Description = a.Summary
			r.Info.Reference = []string{a.Source}
			r.Info.Classification = &scan.Classification{CVEID: []string{a.CVE}, CPE: sw.CPE}
			emit(r)
		}
	}
	return nil
}
