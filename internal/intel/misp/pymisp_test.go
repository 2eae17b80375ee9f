package misp_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/misp"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

var people = []auth.NewUser{
	{Username: "adi", Org: "kpu-32", Role: "analyst", Scope: "32"},
	{Username: "pusat", Org: "kpu", Role: "analyst", Scope: ""},
	{Username: "budi", Org: "bssn", Role: "coordinator", Scope: ""},
	{Username: "intan", Org: "bin", Role: "analyst", Scope: ""},
}

type world struct {
	db   *store.DB
	tree *org.Tree
	who  map[string]auth.Principal
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, who: map[string]auth.Principal{}}
	var users []auth.User
	for _, p := range people {
		p.Password = "pw-" + p.Username + "-long-enough"
		u, err := auth.CreateUser(ctx, db, audit.System, p)
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	var err error
	if w.tree, err = org.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if w.who[u.Username], err = auth.PrincipalOf(u, w.tree); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) create(t testing.TB, as string, in intel.Input) intel.Indicator {
	t.Helper()
	i, err := intel.Create(context.Background(), w.db, w.who[as], in)
	if err != nil {
		t.Fatalf("%s creates %s %s: %v", as, in.Kind, in.Value, err)
	}
	return i
}

// pymisp returns Debian's python3 and PyMISP's folder, or skips (fails
// under GARDA_CI=1) when either is absent.
func pymisp(t *testing.T) (string, string) {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("GARDA_CI") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	dir, _ := os.Getwd()
	var shared string
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			shared = filepath.Join(filepath.Dir(d), "shared")
			break
		}
	}
	lib := filepath.Join(shared, "clients", "pymisp")
	if _, err := os.Stat(filepath.Join(lib, "pymisp", "data", "schema.json")); err != nil {
		missing("needs ../shared/clients/pymisp (MISP's PyMISP)")
	}
	py := "/usr/bin/python3"
	cmd := exec.Command(py, "-c", "import pymisp, jsonschema")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+lib)
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("needs Debian's python3 with python3-jsonschema, python3-dateutil, python3-requests, python3-deprecated for PyMISP: " + string(out))
	}
	return py, lib
}

func runPy(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	py, lib := pymisp(t)
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+lib, "PYMISP_LIB="+lib)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("PyMISP script: %v\n%s\n%s", err, stderr.String(), out)
	}
	return out
}

// checkFeed loads every event of a feed directory with PyMISP
// (MISPEvent.load), validates it against PyMISP's strict event schema,
// recomputes manifest.json with MISPEvent.manifest and hashes.csv with
// MISPAttribute.hash_values('md5') and compares them with Garda's, and
// loads every sighting as a MISPSighting. It prints a summary.
const checkFeed = `
import json, os, sys, jsonschema
from pymisp import MISPEvent, MISPSighting
lib = os.environ['PYMISP_LIB']
schema = json.load(open(os.path.join(lib, 'pymisp', 'data', 'schema.json')))
d = sys.argv[1]
manifest = json.load(open(os.path.join(d, 'manifest.json')))
hashes = set(l.strip() for l in open(os.path.join(d, 'hashes.csv')) if l.strip())
problems, attrs, want_hashes, types, tags = [], 0, set(), {}, set()
files = sorted(f for f in os.listdir(d) if f.endswith('.json') and f not in ('manifest.json', 'sightings.json'))
for f in files:
    raw = json.load(open(os.path.join(d, f)))
    try:
        jsonschema.validate(raw, schema)
    except jsonschema.ValidationError as e:
        problems.append(f + ': schema: ' + e.message)
    ev = MISPEvent()
    ev.load(open(os.path.join(d, f)).read())
    if f != str(ev.uuid) + '.json':
        problems.append(f + ': holds event ' + str(ev.uuid))
    m = ev.manifest[str(ev.uuid)]
    g = manifest.get(str(ev.uuid))
    if g is None:
        problems.append(f + ': not in manifest.json')
    else:
        for k in ('info', 'date', 'timestamp', 'analysis', 'threat_level_id'):
            if str(m[k]) != str(g[k]):
                problems.append('%s: manifest %s %r, PyMISP says %r' % (f, k, g[k], m[k]))
        if m['Orgc'] != g['Orgc']:
            problems.append('%s: manifest Orgc %r, PyMISP says %r' % (f, g['Orgc'], m['Orgc']))
        if sorted(t['name'] for t in m['Tag']) != sorted(t['name'] for t in g['Tag']):
            problems.append('%s: manifest tags differ' % f)
    for t in ev.tags:
        tags.add(t.name)
    for a in ev.attributes:
        attrs += 1
        types[a.type] = types.get(a.type, 0) + 1
        for t in a.tags:
            tags.add(t.name)
        for h in a.hash_values('md5'):
            want_hashes.add(h + ',' + str(ev.uuid))
if set(manifest) != set(f[:-5] for f in files):
    problems.append('manifest.json lists %d events, the feed holds %d' % (len(manifest), len(files)))
if hashes != want_hashes:
    problems.append('hashes.csv: %d lines missing, %d extra' % (len(want_hashes - hashes), len(hashes - want_hashes)))
sightings = 0
for s in json.load(open(os.path.join(d, 'sightings.json'))):
    ms = MISPSighting()
    ms.from_dict(**s)
    if not ms.attribute_uuid or not ms.date_sighting:
        problems.append('sighting without attribute or date: %r' % s)
    sightings += 1
json.dump({'events': len(files), 'attributes': attrs, 'hashes': len(hashes), 'sightings': sightings,
           'types': types, 'tags': sorted(tags), 'problems': problems}, sys.stdout)
`

type feedCheck struct {
	Events     int            `json:"events"`
	Attributes int            `json:"attributes"`
	Hashes     int            `json:"hashes"`
	Sightings  int            `json:"sightings"`
	Types      map[string]int `json:"types"`
	Tags       []string       `json:"tags"`
	Problems   []string       `json:"problems"`
}

func TestFeedLoadsInPyMISP(t *testing.T) {
	pymisp(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		vals := []intel.Input{
			{Kind: intel.IPv4, Value: "203.0.113.7", TLP: policy.Green, Detect: true, Techniques: []string{"T1190"}},
			{Kind: intel.IPv4, Value: "198.51.100.0/24", TLP: policy.Green},
			{Kind: intel.IPv6, Value: "2001:db8::7", TLP: policy.Clear},
			{Kind: intel.Domain, Value: "sirekap-login.example", TLP: policy.Clear, Name: "Situs tiruan Sirekap"},
			{Kind: intel.URL, Value: "https://phish.example.org/kpu/login.php?id='1'", TLP: policy.Green},
			{Kind: intel.Email, Value: "admin@phish.example.org", TLP: policy.Green},
			{Kind: intel.MD5, Value: "d41d8cd98f00b204e9800998ecf8427e", TLP: policy.Green},
			{Kind: intel.SHA1, Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", TLP: policy.Green},
			{Kind: intel.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TLP: policy.Green},
			{Kind: intel.UserAgent, Value: "sqlmap/1.7.2#stable (https://sqlmap.org)", TLP: policy.Clear, Description: "pemindai \"otomatis\"\nbaris dua"},
		}
		var first intel.Indicator
		for i, in := range vals {
			got := w.create(t, "budi", in)
			if i == 0 {
				first = got
			}
		}
		w.create(t, "intan", intel.Input{Kind: intel.Domain, Value: "bin-green.example", TLP: policy.Green})
		w.create(t, "intan", intel.Input{Kind: intel.Domain, Value: "rahasia.example", TLP: policy.Red})
		w.create(t, "budi", intel.Input{Kind: intel.Domain, Value: "amber-only.example", TLP: policy.Amber})
		revoked := w.create(t, "budi", intel.Input{Kind: intel.Domain, Value: "dicabut.example", TLP: policy.Green})
		if _, err := intel.Revoke(ctx, db, w.who["budi"], revoked.ID, "salah"); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 2, 14, 3, 0, 0, 0, time.UTC)
		for _, region := range []string{"32", "33.01"} {
			if err := intel.AddSighting(ctx, db, w.who["budi"], first.ID, intel.Seen{Count: 3, FirstSeen: at, LastSeen: at.Add(time.Hour), Region: region}); err != nil {
				t.Fatal(err)
			}
		}

		c, _ := misp.CommunityOf("mitra")
		feed, err := misp.BuildFeed(ctx, db, w.who["budi"], w.tree, misp.FeedOptions{Community: c})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := feed.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		var got feedCheck
		if err := json.Unmarshal(runPy(t, checkFeed, dir), &got); err != nil {
			t.Fatal(err)
		}
		for _, p := range got.Problems {
			t.Error(p)
		}
		// budi reads his own 11 at CLEAR/GREEN (AMBER is above the
		// community) and BIN's GREEN one; never BIN's RED.
		if got.Attributes != 12 || got.Attributes != feed.Attributes() || got.Events != 3 || got.Sightings != 2 || got.Hashes != 12 {
			t.Errorf("PyMISP read %+v; Garda wrote %d events, %d attributes", got, len(feed.Events), feed.Attributes())
		}
		for _, typ := range []string{"ip-dst", "domain", "url", "email-src", "md5", "sha1", "sha256", "user-agent"} {
			if got.Types[typ] == 0 {
				t.Errorf("no %s attribute in %v", typ, got.Types)
			}
		}
		for _, tag := range []string{"tlp:clear", "tlp:green", `garda:technique="T1190"`} {
			if !strings.Contains(strings.Join(got.Tags, " "), tag) {
				t.Errorf("tag %s missing from %v", tag, got.Tags)
			}
		}
		for _, name := range []string{"manifest.json", "hashes.csv"} {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			if strings.Contains(string(b), "rahasia") || strings.Contains(string(b), "amber-only") {
				t.Errorf("%s holds RED or AMBER", name)
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			if strings.Contains(string(b), "rahasia.example") || strings.Contains(string(b), "amber-only.example") {
				t.Errorf("%s holds what the community may not read", e.Name())
			}
		}
		// The revoked indicator goes out as a deleted attribute.
		var deleted int
		for _, ev := range feed.Events {
			for _, a := range ev.Attribute {
				if a.Deleted {
					deleted++
					if a.Value != "dicabut.example" || a.ToIDs {
						t.Errorf("deleted attribute %+v", a)
					}
				}
			}
		}
		if deleted != 1 {
			t.Errorf("%d deleted attributes, want the revoked one", deleted)
		}

		// The feed goes into another Garda intact: every attribute held with
		// the same id, TLP, detect mark and technique.
		db2 := storetest.SQLite(t)
		w2 := newWorld(t, db2)
		res, err := misp.ImportPath(ctx, db2, w2.who["pusat"], dir)
		if err != nil || res.Err() != nil {
			t.Fatalf("import Garda's own feed: %v %v", err, res.Err())
		}
		held := 0
		for _, e := range res.Events {
			held += e.Held
		}
		if held != 12 {
			t.Errorf("re-import held %d of 12: %+v", held, res)
		}
		back, err := intel.List(ctx, db2, w2.who["pusat"], intel.Filter{Text: "203.0.113.7"})
		if err != nil || len(back) != 1 || !back[0].Detect || len(back[0].Techniques) != 1 || back[0].Techniques[0] != "T1190" || back[0].STIXID != first.STIXID {
			t.Errorf("round trip lost detect, technique or id: %+v %v", back, err)
		}
	})
}

// writeFeed builds events with PyMISP's API and writes them as MISP's feed
// generator does (PyMISP's to_feed with_meta, manifest.json, hashes.csv).
const writeFeed = `
import json, os, sys
from pymisp import MISPEvent, MISPOrganisation, MISPObject
d = sys.argv[1]
def org(name, uuid):
    o = MISPOrganisation(); o.name = name; o.uuid = uuid; return o
e = MISPEvent()
e.info = 'Phishing campaign against election officials'
e.uuid = 'b7b2f0c4-3a36-4e5c-9a0e-1d1b2c3d4e5f'
e.Orgc = org('CERT-Partner', '5f6e7d8c-1a2b-4c3d-8e9f-0a1b2c3d4e5f')
e.add_tag('tlp:green')
e.add_attribute('ip-dst', '203.0.113.50', to_ids=True, comment='C2')
e.add_attribute('ip-src', '2001:db8::50')
e.add_attribute('domain', 'kpu-verifikasi.example')
e.add_attribute('hostname', 'login.kpu-verifikasi.example')
e.add_attribute('url', 'https://kpu-verifikasi.example/masuk')
e.add_attribute('email-src', 'noreply@kpu-verifikasi.example')
e.add_attribute('md5', '0cc175b9c0f1b6a831c399e269772661')
e.add_attribute('sha1', '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8')
e.add_attribute('sha256', 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb')
e.add_attribute('user-agent', 'Mozilla/5.0 (EvilBot)')
e.add_attribute('domain|ip', 'c2.kpu-verifikasi.example|198.51.100.60')
e.add_attribute('ip-dst|port', '198.51.100.61|8443')
e.add_attribute('filename|sha256', 'lampiran.exe|3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d')
red = e.add_attribute('ip-dst', '198.51.100.62')
red.add_tag('tlp:red')
red.add_tag('misp-galaxy:mitre-attack-pattern="Phishing - T1566"')
e.add_attribute('domain', 'pantau-saja.example', to_ids=False)
e.add_attribute('text', 'catatan analis')
o = MISPObject('domain-ip', standalone=False)
o.template_uuid = '43b3b146-77eb-4931-b4cc-b66c60f28734'
o.template_version = '9'
o.description = 'A domain and IP address seen as a tuple in a specific time frame.'
setattr(o, 'meta-category', 'network')
o.add_attribute('domain', value='obj.kpu-verifikasi.example', type='domain')
o.add_attribute('ip', value='198.51.100.63', type='ip-dst')
e.add_object(o)
e.set_date('2026-02-14')

w = MISPEvent()
w.info = 'Resolver seen in logs'
w.uuid = 'c8c3a1d5-4b47-4f6d-8b1f-2e2c3d4e5f60'
w.Orgc = org('CERT-Partner', '5f6e7d8c-1a2b-4c3d-8e9f-0a1b2c3d4e5f')
w.add_attribute('ip-dst', '8.8.8.8')
w.add_attribute('domain', 'www.google.com')
w.add_attribute('ip-dst', '203.0.113.70')

manifest, hashes, count = {}, [], 0
for ev in (e, w):
    feed = ev.to_feed(with_meta=True)
    hashes += [h + ',' + feed['Event']['uuid'] for h in feed['Event'].pop('_hashes')]
    manifest.update(feed['Event'].pop('_manifest'))
    with open(os.path.join(d, feed['Event']['uuid'] + '.json'), 'w') as f:
        json.dump(feed, f)
    for a in feed['Event'].get('Attribute', []):
        count += 1
    for ob in feed['Event'].get('Object', []):
        count += len(ob['Attribute'])
with open(os.path.join(d, 'manifest.json'), 'w') as f:
    json.dump(manifest, f)
with open(os.path.join(d, 'hashes.csv'), 'w') as f:
    f.write('\n'.join(hashes) + '\n')
json.dump({'attributes': count}, sys.stdout)
`

func TestImportFeedWrittenByPyMISP(t *testing.T) {
	pymisp(t)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		dir := t.TempDir()
		var wrote struct{ Attributes int }
		if err := json.Unmarshal(runPy(t, writeFeed, dir), &wrote); err != nil {
			t.Fatal(err)
		}
		if wrote.Attributes != 21 {
			t.Fatalf("PyMISP wrote %d attributes", wrote.Attributes)
		}
		res, err := misp.ImportPath(ctx, db, w.who["budi"], dir)
		if err != nil || res.Err() != nil {
			t.Fatalf("import: %v %v", err, res.Err())
		}
		read := 0
		for _, e := range res.Events {
			read += e.Attributes
		}
		if read != wrote.Attributes {
			t.Errorf("read %d attributes of %d", read, wrote.Attributes)
		}
		want := map[string]policy.TLP{
			"203.0.113.50": policy.Green, "2001:db8::50": policy.Green, "kpu-verifikasi.example": policy.Green,
			"login.kpu-verifikasi.example": policy.Green, "https://kpu-verifikasi.example/masuk": policy.Green,
			"noreply@kpu-verifikasi.example": policy.Green, "0cc175b9c0f1b6a831c399e269772661": policy.Green,
			"86f7e437faa5a7fce15d1ddcb9eaeaea377667b8":                         policy.Green,
			"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb": policy.Green,
			"Mozilla/5.0 (EvilBot)":                                            policy.Green, "c2.kpu-verifikasi.example": policy.Green, "198.51.100.60": policy.Green,
			"198.51.100.61": policy.Green, "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d": policy.Green,
			"198.51.100.62": policy.Red, "obj.kpu-verifikasi.example": policy.Green, "198.51.100.63": policy.Green,
			"203.0.113.70": policy.Amber, "pantau-saja.example": policy.Green,
		}
		list, err := intel.List(ctx, db, w.who["budi"], intel.Filter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]intel.Indicator{}
		for _, i := range list {
			got[i.Value] = i
		}
		for v, tlp := range want {
			i, ok := got[v]
			if !ok {
				t.Errorf("%s not imported", v)
				continue
			}
			if i.TLP != tlp || i.Source != "import" || i.CreatedBy != "identity--5f6e7d8c-1a2b-4c3d-8e9f-0a1b2c3d4e5f" {
				t.Errorf("%s: %s from %s by %s", v, i.TLP, i.Source, i.CreatedBy)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d indicators, want %d", len(got), len(want))
		}
		// to_ids is the detect mark; ATT&CK galaxy tags are techniques.
		if !got["203.0.113.50"].Detect || got["pantau-saja.example"].Detect {
			t.Errorf("to_ids not carried: %v %v", got["203.0.113.50"].Detect, got["pantau-saja.example"].Detect)
		}
		if ts := got["198.51.100.62"].Techniques; len(ts) != 1 || ts[0] != "T1566" {
			t.Errorf("techniques of the galaxy tag: %v", ts)
		}
		// An object's attributes take their event's TLP; an event without a
		// TLP tag is AMBER.
		var refused, skipped []string
		for _, e := range res.Events {
			refused = append(refused, e.Refused...)
			skipped = append(skipped, e.Skipped...)
		}
		if len(refused) != 2 || !strings.Contains(strings.Join(refused, "\n"), "public-dns-v4") || !strings.Contains(strings.Join(refused, "\n"), "well-known-domains") {
			t.Errorf("refused %v", refused)
		}
		if len(skipped) != 1 || !strings.Contains(skipped[0], `"text"`) {
			t.Errorf("skipped %v", skipped)
		}
		// Again: nothing new, everything held.
		again, err := misp.ImportPath(ctx, db, w.who["budi"], dir)
		if err != nil || again.Err() != nil {
			t.Fatal(err, again.Err())
		}
		for _, e := range again.Events {
			if e.Imported.Indicators != 0 {
				t.Errorf("second import made %d new indicators", e.Imported.Indicators)
			}
		}
	})
}
