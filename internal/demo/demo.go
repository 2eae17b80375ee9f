// Package demo seeds the demo world of `garda demo`: the task force's
// accounts (one per role, national and provincial), and KPU's systems as
// assets across the nation and its provinces. Seeding is repeatable: a
// second run adds what is missing and gives the demo accounts fresh
// passwords, written to <data-dir>/demo-accounts.txt. It must never run
// against a production database: the command that calls it says "demo".
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/simulate"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// Account is a demo sign-in.
type Account struct {
	Username, Password, Role, Org, Scope string
}

// Accounts are the demo users: every role, national and provincial.
var accounts = []Account{
	{Username: "admin", Role: "admin", Org: "kpu", Scope: ""},
	{Username: "koordinator.bssn", Role: "coordinator", Org: "bssn", Scope: ""},
	{Username: "analis.bssn", Role: "analyst", Org: "bssn", Scope: ""},
	{Username: "analis.kpu", Role: "analyst", Org: "kpu", Scope: ""},
	{Username: "responder.kpu", Role: "responder", Org: "kpu", Scope: ""},
	{Username: "pemantau.bawaslu", Role: "viewer", Org: "bawaslu", Scope: ""},
	{Username: "liaison.komdigi", Role: "liaison", Org: "komdigi", Scope: ""},
	{Username: "patroli.komdigi", Role: "analyst", Org: "komdigi", Scope: ""},
	{Username: "penyidik.polri", Role: "analyst", Org: "polri", Scope: ""},
	{Username: "analis.bin", Role: "analyst", Org: "bin", Scope: ""},
	{Username: "peneliti.brin", Role: "viewer", Org: "brin", Scope: ""},
	{Username: "koordinator.jabar", Role: "coordinator", Org: "kpu-32", Scope: "32"},
	{Username: "analis.jabar", Role: "analyst", Org: "kpu-32", Scope: "32"},
	{Username: "operator.jabar", Role: "operator", Org: "diskominfo-32", Scope: "32"},
	{Username: "operator.bandung", Role: "operator", Org: "kpu-32.04", Scope: "32.04"},
	{Username: "admin.jatim", Role: "admin", Org: "kpu-35", Scope: "35"},
	{Username: "operator.jatim", Role: "operator", Org: "diskominfo-35", Scope: "35"},
	{Username: "responder.jateng", Role: "responder", Org: "kpu-33", Scope: "33"},
	{Username: "pemantau.dki", Role: "viewer", Org: "kpu-31", Scope: "31"},
	{Username: "liaison.sumut", Role: "liaison", Org: "diskominfo-12", Scope: "12"},
	// Platforms' liaisons (takedown requests addressed to their platform).
	{Username: "liaison.facebook", Role: "liaison", Org: "platform-meta-facebook", Scope: ""},
	{Username: "liaison.tiktok", Role: "liaison", Org: "platform-tiktok", Scope: ""},
	{Username: "koordinator.komdigi", Role: "coordinator", Org: "komdigi", Scope: ""},
}

// Short names of the provinces, for the example domains of their KPU sites.
var provinceShort = map[string]string{
	"11": "aceh", "12": "sumut", "13": "sumbar", "14": "riau", "15": "jambi", "16": "sumsel", "17": "bengkulu",
	"18": "lampung", "19": "babel", "21": "kepri", "31": "dki", "32": "jabar", "33": "jateng", "34": "diy",
	"35": "jatim", "36": "banten", "51": "bali", "52": "ntb", "53": "ntt", "61": "kalbar", "62": "kalteng",
	"63": "kalsel", "64": "kaltim", "65": "kaltara", "71": "sulut", "72": "sulteng", "73": "sulsel",
	"74": "sultra", "75": "gorontalo", "76": "sulbar", "81": "maluku", "82": "malut", "91": "papua",
	"92": "papuabarat", "93": "papuaselatan", "94": "papuatengah", "95": "papuapegunungan", "96": "papuabaratdaya",
}

type assetSpec struct {
	name, kind, host, owner, region, crit, tlp, desc string
	phases                                           []string
}

// KPU's national systems (example domains: the real ones are not ours to list).
var nationalAssets = []assetSpec{
	{"Sipol", "web_app", "sipol.kpu.example.id", "kpu", "", "high", "AMBER", "Sistem Informasi Partai Politik: pendaftaran dan verifikasi partai politik", []string{"party-registration"}},
	{"Silon", "web_app", "silon.kpu.example.id", "kpu", "", "high", "AMBER", "Sistem Informasi Pencalonan: pendaftaran calon anggota legislatif", []string{"candidacy"}},
	{"Sidalih", "web_app", "sidalih.kpu.example.id", "kpu", "", "critical", "AMBER", "Sistem Informasi Data Pemilih: DPT dan pemutakhiran data pemilih (memuat NIK)", []string{"voter-registration", "voting"}},
	{"Sirekap", "web_app", "sirekap.kpu.example.id", "kpu", "", "critical", "AMBER", "Sistem Informasi Rekapitulasi: unggah formulir C.Hasil dari TPS dan rekapitulasi", []string{"counting", "recapitulation", "results"}},
	{"Sirekap API", "api", "api.sirekap.kpu.example.id", "kpu", "", "critical", "AMBER+STRICT", "API unggah foto formulir dari aplikasi seluler KPPS", []string{"counting", "recapitulation"}},
	{"Sidapil", "web_app", "sidapil.kpu.example.id", "kpu", "", "medium", "GREEN", "Sistem Informasi Daerah Pemilihan", []string{"planning"}},
	{"Silog", "web_app", "silog.kpu.example.id", "kpu", "", "medium", "AMBER", "Sistem Informasi Logistik: distribusi logistik pemilu", []string{"planning", "voting"}},
	{"Sidakam", "web_app", "sidakam.kpu.example.id", "kpu", "", "medium", "AMBER", "Sistem Informasi Dana Kampanye", []string{"campaign"}},
	{"Siakba", "web_app", "siakba.kpu.example.id", "kpu", "", "medium", "AMBER", "Sistem Informasi Anggota KPU dan Badan Ad Hoc", []string{"planning"}},
	{"cekdptonline", "web_app", "cekdptonline.kpu.example.id", "kpu", "", "critical", "GREEN", "Pencarian pemilih publik berdasarkan NIK: sasaran utama scraping data pemilih", []string{"voter-registration", "voting"}},
	{"infopemilu", "site", "infopemilu.kpu.example.id", "kpu", "", "high", "CLEAR", "Portal informasi pemilu dan hasil publik", []string{"campaign", "results"}},
	{"JDIH KPU", "site", "jdih.kpu.example.id", "kpu", "", "low", "CLEAR", "Jaringan Dokumentasi dan Informasi Hukum KPU", nil},
	{"Situs KPU RI", "site", "www.kpu.example.id", "kpu", "", "high", "CLEAR", "Situs resmi KPU RI", []string{"campaign", "voting", "results"}},
	{"Server rekapitulasi cadangan", "server", "10.20.0.15", "kpu", "", "critical", "RED", "Pusat data cadangan rekapitulasi: lokasi dan alamat hanya untuk yang disebut", []string{"recapitulation"}},
	{"Sensor honeypot BSSN", "server", "honeypot-01.bssn.example.id", "bssn", "", "medium", "AMBER+STRICT", "Sensor umpan BSSN di jaringan pemilu", nil},
}

// World is what a seed produced.
type World struct {
	Accounts     []Account
	AccountsFile string
	Assets       int
	Incidents    int // opened by this seed (the first one only)
	Scans        int // penetration-test scans recorded by this seed (the first one only)
	PatrolItems  int // cyber patrol items added by this seed (the first one only)
	RoomStaff    int // operation-room members placed by this seed
	ShiftReports int // operation-room shift reports sent by this seed (the first one only)
	Takedowns    int // takedown requests filed by this seed (the first one only)
	Indicators   int // threat-intelligence indicators made by this seed (the first one only)
	Blocked      int // domains on the DNS blocklist, cut by this seed (the first one only)
}

// Seed builds (or completes) the demo world and writes the accounts file.
func Seed(ctx context.Context, db *store.DB, dataDir string) (World, error) {
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		return World{}, err
	}
	// The platforms come first: their liaisons' accounts live in them.
	if _, err := takedown.SeedPlatforms(ctx, db); err != nil {
		return World{}, err
	}
	var w World
	for _, a := range accounts {
		a.Password = newPassword()
		_, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{
			Username: a.Username, DisplayName: displayName(a.Username), Org: a.Org, Role: a.Role, Scope: a.Scope, Password: a.Password})
		if p := problem.As(err); p != nil && p.Field == "username" && strings.Contains(p.Message, "taken") {
			err = auth.SetPassword(ctx, db, audit.System, a.Username, a.Password)
		}
		if err != nil {
			return World{}, fmt.Errorf("demo account %s: %w", a.Username, err)
		}
		w.Accounts = append(w.Accounts, a)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		return World{}, err
	}
	// KPU's analyst registers KPU's systems, so that a RED one is read by
	// its named analyst and not by the administrator.
	kpu, err := principal(ctx, db, tree, "analis.kpu")
	if err != nil {
		return World{}, err
	}
	specs := append([]assetSpec(nil), nationalAssets...)
	for _, p := range region.Provinces() {
		short := provinceShort[p.Code]
		specs = append(specs, assetSpec{"Situs KPU Provinsi " + p.Name, "site", "kpu-" + short + ".example.id", "kpu-" + p.Code, p.Code, "medium", "GREEN",
			"Situs resmi KPU Provinsi " + p.Name, []string{"campaign", "voting", "results"}})
	}
	for _, code := range []string{"32.04", "32.73", "35.78", "31.71", "33.74", "12.71"} {
		r, _ := region.Lookup(code)
		specs = append(specs, assetSpec{"Situs KPU " + r.Name, "site", "kpu-" + strings.ReplaceAll(code, ".", "") + ".example.id", "kpu-" + code, code, "low", "GREEN",
			"Situs resmi KPU " + r.Name, []string{"voting", "results"}})
	}
	bssn, err := principal(ctx, db, tree, "analis.bssn")
	if err != nil {
		return World{}, err
	}
	for _, sp := range specs {
		who := kpu
		if sp.owner == "bssn" {
			who = bssn
		}
		in := asset.Input{Name: &sp.name, Kind: &sp.kind, Description: &sp.desc, Owner: &sp.owner, Region: &sp.region, Criticality: &sp.crit, TLP: &sp.tlp}
		hosts, urls, phases := []string{sp.host}, []string{}, sp.phases
		if !strings.HasPrefix(sp.host, "10.") {
			urls = append(urls, "https://"+sp.host+"/")
		}
		if phases == nil {
			phases = []string{}
		}
		in.Hostnames, in.URLs, in.Phases = &hosts, &urls, &phases
		systems := systemsOf(sp.name) // rooms5: the election systems the calendar's phases name
		in.Systems = &systems
		_, err := asset.Create(ctx, db, who, tree, in)
		if problem.Is(err, problem.Conflict) {
			continue
		}
		if err != nil {
			return World{}, fmt.Errorf("demo asset %s: %w", sp.name, err)
		}
		w.Assets++
	}
	if err := seedDrillPhase(ctx, db, tree); err != nil { // a phase running now, so the demo shows its effects
		return World{}, fmt.Errorf("demo drill phase: %w", err)
	}
	if w.Incidents, err = seedIncidents(ctx, db, tree); err != nil {
		return World{}, err
	}
	if w.Scans, err = seedScans(ctx, db, tree); err != nil {
		return World{}, err
	}
	if w.PatrolItems, err = seedPatrol(ctx, db, tree, dataDir); err != nil {
		return World{}, err
	}
	if w.RoomStaff, err = seedRooms(ctx, db); err != nil {
		return World{}, err
	}
	if w.ShiftReports, err = seedShifts(ctx, db, tree); err != nil {
		return World{}, err
	}
	if w.Takedowns, err = seedTakedowns(ctx, db, tree); err != nil {
		return World{}, err
	}
	if w.Indicators, err = seedIntel(ctx, db, tree); err != nil {
		return World{}, err
	}
	if w.Blocked, err = seedBlocklist(ctx, db, tree); err != nil {
		return World{}, err
	}
	if _, err = seedDrills(ctx, db, tree); err != nil { // walldrills: a drill scheduled into two rooms
		return World{}, err
	}
	w.AccountsFile = filepath.Join(dataDir, "demo-accounts.txt")
	if err := writeAccounts(w.AccountsFile, w.Accounts); err != nil {
		return World{}, err
	}
	return w, nil
}

// principal is a demo account as the platform sees it when it acts.
func principal(ctx context.Context, db *store.DB, tree *org.Tree, username string) (auth.Principal, error) {
	u, err := auth.UserByName(ctx, db, username)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("demo account %s: %w", username, err)
	}
	return auth.PrincipalOf(u, tree)
}

// writeAccounts writes one `username password role org-slug scope` line
// per account. A national scope is empty, so `read u p r o s` gives s="".
func writeAccounts(path string, as []Account) error {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%s\n", strings.TrimRight(strings.Join([]string{a.Username, a.Password, a.Role, a.Org, a.Scope}, " "), " "))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write demo accounts: %w", err)
	}
	return nil
}

func newPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "demo-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func displayName(username string) string {
	parts := strings.Split(username, ".")
	for i, p := range parts {
		switch p {
		case "bssn", "kpu", "bin", "brin", "dki", "polri":
			parts[i] = strings.ToUpper(p)
		default:
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

// Sites lists the demo world's web assets as the traffic simulator's
// sites (servers, known only by an address, have no web log).
func Sites(ctx context.Context, db *store.DB) ([]simulate.Site, error) {
	rows, err := db.Query(ctx, `SELECT id, name, hostnames, region FROM assets WHERE kind <> 'server' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("demo sites: %w", err)
	}
	defer rows.Close()
	var out []simulate.Site
	for rows.Next() {
		var s simulate.Site
		var hosts string
		if err := rows.Scan(&s.AssetID, &s.Name, &hosts, &s.Region); err != nil {
			return nil, err
		}
		var list []string
		if json.Unmarshal([]byte(hosts), &list) != nil || len(list) == 0 {
			continue
		}
		s.Host, s.Kind = list[0], simulate.GuessKind(list[0])
		out = append(out, s)
	}
	return out, rows.Err()
}
