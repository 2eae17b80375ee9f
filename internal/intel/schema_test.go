package intel

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/intel/stixcheck"

	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
)

// The bar: every object Garda emits validates against OASIS's STIX 2.1 JSON
// schemas (../shared/data/stix2-schemas) and every pattern passes OASIS's
// pattern validator (../shared/clients/stix2-patterns).

func loadSchemas(t testing.TB) { stixcheck.Schemas(t) }

func validate(t testing.TB, obj any) error { return stixcheck.Validate(t, obj) }

// sampleValues are one or more values of every kind, awkward ones included.
var sampleValues = map[Kind][]string{
	IPv4:      {"203.0.113.7", "198.51.100.0/24", "10.0.0.0/8"},
	IPv6:      {"2001:db8::1", "2001:db8::/32"},
	Domain:    {"kpu-go-id.example.com", "Login.Sirekap-KPU.Example."},
	URL:       {"http://203.0.113.7/wp-login.php?x='1'", `https://phish.example.org/a\b c`[:len(`https://phish.example.org/a\b`)]},
	Email:     {"o'brien@phish.example.org"},
	MD5:       {"d41d8cd98f00b204e9800998ecf8427e"},
	SHA1:      {"da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	SHA256:    {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
	UserAgent: {"sqlmap/1.7.2#stable (https://sqlmap.org)", `Mozilla/5.0 'quoted' \ back`},
}

func sampleIndicator(t testing.TB, k Kind, raw string, tlp policy.TLP) Indicator {
	t.Helper()
	v, err := Normalize(k, raw)
	if err != nil {
		t.Fatalf("%s %q: %v", k, raw, err)
	}
	at := time.Date(2026, 2, 14, 3, 4, 5, 678901234, time.UTC)
	until := at.Add(30 * 24 * time.Hour)
	return Indicator{ID: 1, STIXID: NewID("indicator"), Kind: k, Value: v, Pattern: Pattern(k, v), Confidence: 70,
		ValidFrom: at, ValidUntil: &until, Techniques: []string{"T1190", "CAPEC-66"}, CreatedBy: IdentityID("bssn"),
		TLP: tlp, CreatedAt: at, ModifiedAt: at.Add(time.Minute)}
}

func TestEveryObjectValidatesAgainstOASISSchemas(t *testing.T) {
	loadSchemas(t)
	var objs []Object
	for _, tlp := range policy.TLPs() {
		m, err := Marking(tlp)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, m)
	}
	at := time.Date(2026, 2, 14, 3, 4, 5, 0, time.UTC)
	sightings := []Sighting{{STIXID: NewID("sighting"), Count: 12, FirstSeen: at, LastSeen: at.Add(time.Hour), Region: "32.04", AlertID: 7, Org: ""}}
	for k, vals := range sampleValues {
		for _, raw := range vals {
			i := sampleIndicator(t, k, raw, policy.Amber)
			objs = append(objs, i.Objects(orgStub("bssn"), sightings, nil)...)
		}
	}
	v, err := VulnerabilityOf("cve-2024-4577", "PHP-CGI argument injection")
	if err != nil {
		t.Fatal(err)
	}
	objs = append(objs, v, NewReport("Serangan ke portal KPU", IdentityID("bssn"), at, []string{MarkingID(policy.Green)}, []string{v.ID}))
	seen := map[string]int{}
	for _, o := range objs {
		if err := validate(t, o); err != nil {
			b, _ := json.MarshalIndent(o, "", " ")
			t.Errorf("%s does not validate: %v\n%s", o.Core().Type, err, b)
		}
		seen[o.Core().Type]++
	}
	b := NewBundle(objs...)
	if err := validate(t, b); err != nil {
		t.Errorf("bundle does not validate: %v", err)
	}
	for _, typ := range []string{"marking-definition", "identity", "indicator", "observed-data", "sighting", "attack-pattern",
		"vulnerability", "report", "relationship", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"} {
		if seen[typ] == 0 {
			t.Errorf("no %s was checked", typ)
		}
	}
	t.Logf("%d objects (%d types) and their bundle validate", len(objs), len(seen))
}

// TestPatternsPassOASISValidator runs OASIS's pattern validator, once, over
// every sample value's pattern and a generated batch of hostile values.
func TestPatternsPassOASISValidator(t *testing.T) {
	var patterns []string
	for k, vals := range sampleValues {
		for _, raw := range vals {
			v, err := Normalize(k, raw)
			if err != nil {
				t.Fatal(err)
			}
			patterns = append(patterns, Pattern(k, v))
		}
	}
	for _, raw := range hostileStrings() {
		for _, k := range Kinds {
			if v, err := Normalize(k, raw); err == nil {
				patterns = append(patterns, Pattern(k, v))
			}
		}
	}
	failures := runPatternValidator(t, patterns)
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d patterns pass OASIS's validator", len(patterns))
}

func hostileStrings() []string {
	out := []string{`'`, `\`, `\'`, `'] OR [x:y = '1`, "a\u00e9\u4e2d", `http://h.example/'";--`, `x@y.example`, `Mozilla ' \\ '`,
		"192.0.2.1", "::ffff:192.0.2.1", "fe80::1%eth0", "300.1.1.1", "10.0.0.1/8", "2001:db8::/129", "a..b.example", "-a.example"}
	for i := 0; i < 200; i++ {
		var b strings.Builder
		for j := 0; j < 1+i%17; j++ {
			b.WriteByte("ab'\\] [:=.%/@-_0123456789"[(i*7+j*13)%25])
		}
		out = append(out, b.String(), "http://h.example/"+b.String(), "ua "+b.String())
	}
	return out
}

func runPatternValidator(t testing.TB, patterns []string) []string {
	return stixcheck.Patterns(t, patterns)
}

// FuzzIndicator builds indicators from arbitrary values: whatever Normalize
// accepts must give a STIX indicator (and observable) that validates
// against OASIS's schemas and a pattern Garda's own parser reads back to the
// same value.
func FuzzIndicator(f *testing.F) {
	for k, vals := range sampleValues {
		for _, v := range vals {
			f.Add(uint8(len(string(k))), v)
		}
	}
	for _, s := range hostileStrings()[:20] {
		f.Add(uint8(3), s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, raw string) {
		k := Kinds[int(kind)%len(Kinds)]
		v, err := Normalize(k, raw)
		if err != nil {
			return
		}
		i := sampleIndicator(t, k, v, policy.Green)
		for _, o := range i.Objects(orgStub("kpu"), []Sighting{{STIXID: NewID("sighting"), Count: 1, FirstSeen: i.CreatedAt, LastSeen: i.CreatedAt}}, nil) {
			if err := validate(t, o); err != nil {
				t.Fatalf("%s of %s %q does not validate: %v", o.Core().Type, k, v, err)
			}
		}
		gk, gv, err := ParsePattern(i.Pattern)
		if err != nil || gk != k || gv != v {
			t.Fatalf("pattern %s reads back as %s %q, %v; want %s %q", i.Pattern, gk, gv, err, k, v)
		}
	})
}

func orgStub(slug string) org.Org { return org.Org{Slug: slug, Name: "Org " + slug} }

// TestSchemasCatchBrokenObjects shows the schema check is not vacuous.
func TestSchemasCatchBrokenObjects(t *testing.T) {
	loadSchemas(t)
	i := sampleIndicator(t, IPv4, "203.0.113.7", policy.Red).STIX()
	i.ValidFrom = "yesterday"
	if validate(t, i) == nil {
		t.Error("an indicator with a bad valid_from validated")
	}
	i = sampleIndicator(t, IPv4, "203.0.113.7", policy.Red).STIX()
	i.ID = "indicator--not-a-uuid"
	if validate(t, i) == nil {
		t.Error("an indicator with a bad id validated")
	}
}
