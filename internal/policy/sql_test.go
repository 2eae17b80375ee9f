package policy

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

const testSchema = `
CREATE TABLE records (
	id           INTEGER PRIMARY KEY,
	owner_org_id BIGINT NOT NULL,
	region       TEXT   NOT NULL,
	tlp          TEXT   NOT NULL
);
CREATE TABLE record_orgs (
	kind      TEXT   NOT NULL,
	record_id BIGINT NOT NULL,
	org_id    BIGINT NOT NULL,
	PRIMARY KEY (kind, record_id, org_id)
);
CREATE TABLE record_users (
	kind      TEXT   NOT NULL,
	record_id BIGINT NOT NULL,
	user_id   BIGINT NOT NULL,
	PRIMARY KEY (kind, record_id, user_id)
);
CREATE INDEX records_owner ON records (owner_org_id);
`

// testOrgs is every organisation in testTree.
var testOrgs = slices.Sorted(maps.Keys(testTree))

// extraRecords are records beyond the matrix, chosen to probe the edges the
// matrix does not: unknown labels, near-miss regions, and owners and
// participants all over the tree.
func extraRecords() []Record {
	var out []Record
	for _, tlp := range []TLP{"", "amber", "WHITE", "TLP:RED", "AMBER ", "red"} {
		out = append(out, Record{OwnerOrg: 100, Region: "32", TLP: tlp, Orgs: []int64{100, 20}, Users: []int64{viewerUser, creatorUser}})
	}
	for _, region := range []string{"", "3", "31", "320", "32", "32.04", "32.040", "32.05", "32.04.01", "32.04.01.2001", "33.01"} {
		for _, tlp := range []TLP{Clear, Amber, Red} {
			out = append(out, Record{OwnerOrg: 100, Region: region, TLP: tlp, Orgs: []int64{100}, Users: []int64{viewerUser}})
		}
	}
	for _, org := range testOrgs {
		for _, tlp := range []TLP{Amber, AmberStrict} {
			out = append(out,
				Record{OwnerOrg: org, Region: "32.04", TLP: tlp},
				Record{OwnerOrg: 3, Region: "32.04", TLP: tlp, Orgs: []int64{org}},
				Record{OwnerOrg: 3, Region: "32.04", TLP: tlp, Orgs: slices.Compact([]int64{3, org})},
			)
		}
		out = append(out,
			Record{OwnerOrg: org, Region: "32.04", TLP: Red, Orgs: []int64{org}, Users: []int64{creatorUser}},
			Record{OwnerOrg: org, Region: "32.04", TLP: Red, Orgs: []int64{org}, Users: []int64{creatorUser, viewerUser}},
		)
	}
	return out
}

// extraViewers are viewers beyond the matrix: every organisation, several
// scopes (some malformed), two users, with and without a Lineage, and
// some with invalid roles.
func extraViewers() []Viewer {
	var out []Viewer
	i := 0
	for _, scope := range []string{"", "32", "32.04", "31", "3", "32.", "x"} {
		for _, org := range testOrgs {
			for _, user := range []int64{viewerUser, creatorUser} {
				for _, withLineage := range []bool{true, false} {
					v := Viewer{UserID: user, OrgID: org, Role: Roles()[i%len(Roles())], Scope: scope}
					if withLineage {
						v.Lineage = LineageOf(org, testTree)
					}
					out = append(out, v)
					i++
				}
			}
		}
	}
	for _, role := range []Role{"", "root", "Admin"} {
		out = append(out, Viewer{UserID: viewerUser, OrgID: 1, Role: role, Lineage: LineageOf(1, testTree)})
	}
	out = append(out, Viewer{})
	return out
}

func openTestDB(t *testing.T, recs []Record) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(testSchema); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ sql.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	prep := func(q string) *sql.Stmt {
		t.Helper()
		st, err := tx.Prepare(q)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	insRec := prep(`INSERT INTO records (id, owner_org_id, region, tlp) VALUES (?, ?, ?, ?)`)
	insOrg := prep(`INSERT INTO record_orgs (kind, record_id, org_id) VALUES (?, ?, ?)`)
	insUser := prep(`INSERT INTO record_users (kind, record_id, user_id) VALUES (?, ?, ?)`)
	for i, r := range recs {
		id := int64(i + 1)
		must(insRec.Exec(id, r.OwnerOrg, r.Region, string(r.TLP)))
		for _, o := range r.Orgs {
			must(insOrg.Exec("incident", id, o))
		}
		for _, u := range r.Users {
			must(insUser.Exec("incident", id, u))
		}
	}
	// Decoys: participant rows of another kind with the same record ids,
	// naming every organisation and both users. A filter that forgot the
	// kind would let them through.
	for _, o := range testOrgs {
		must(tx.Exec(`INSERT INTO record_orgs (kind, record_id, org_id) SELECT 'alert', id, ? FROM records`, o))
	}
	for _, u := range []int64{viewerUser, creatorUser} {
		must(tx.Exec(`INSERT INTO record_users (kind, record_id, user_id) SELECT 'alert', id, ? FROM records`, u))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return db
}

// visible runs ReadFilter for v against the records table and returns the
// ids it lets through.
func visible(t *testing.T, db *sql.DB, v Viewer, alias, extra string) map[int64]bool {
	t.Helper()
	where, args := ReadFilter(v, "incident", alias)
	if n := strings.Count(where, "?"); n != len(args) {
		t.Fatalf("viewer %+v: %d placeholders, %d args", v, n, len(args))
	}
	q := fmt.Sprintf("SELECT %[1]s.id FROM records %[1]s WHERE %[2]s%[3]s", alias, where, extra)
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("viewer %+v: %v\n%s", v, err, q)
	}
	defer rows.Close()
	got := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// agree runs ReadFilter for v and checks that the ids it returns are
// exactly the records CanRead allows (record id = index in recs + 1).
func agree(t *testing.T, db *sql.DB, recs []Record, v Viewer, alias string) map[int64]bool {
	t.Helper()
	got := visible(t, db, v, alias, "")
	for i, r := range recs {
		id := int64(i + 1)
		if want := CanRead(v, r); got[id] != want {
			t.Errorf("viewer %+v, record %d %+v: ReadFilter %v, CanRead %v", v, id, r, got[id], want)
		}
	}
	return got
}

// agreeByTLP checks that CountByTLP's parts together return exactly the
// records CanRead allows v, each once (the parts are disjoint), and that the
// query's own arguments stay in front of the visibility test's.
func agreeByTLP(t *testing.T, db *sql.DB, recs []Record, v Viewer) {
	t.Helper()
	q, args := CountByTLP(v, "incident", "r", "SELECT r.id FROM records r WHERE r.id > ? AND %s", 0)
	if n := strings.Count(q, "?"); n != len(args) {
		t.Fatalf("viewer %+v: %d placeholders, %d args", v, n, len(args))
	}
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("viewer %+v: %v\n%s", v, err, q)
	}
	defer rows.Close()
	seen := map[int64]int{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		seen[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		id := int64(i + 1)
		if want := CanRead(v, r); (seen[id] > 0) != want || seen[id] > 1 {
			t.Errorf("viewer %+v, record %d %+v: CountByTLP returns it %d times, CanRead %v", v, id, r, seen[id], want)
		}
	}
}

// TestReadFilterAgreesWithCanRead stores one record per matrix combination
// and, for each of the 98 distinct matrix viewers (role × scope × org),
// checks the SQL result against CanRead over every record, and against the
// hand-written expectation for the viewer's own combinations.
func TestReadFilterAgreesWithCanRead(t *testing.T) {
	cs := combos()
	recs := make([]Record, 0, len(cs))
	for _, c := range cs {
		recs = append(recs, c.record) // record id = index + 1
	}
	db := openTestDB(t, recs)

	type key struct {
		role  Role
		scope string
		org   int64
	}
	matrixViewers := map[key]Viewer{}
	for _, c := range cs {
		matrixViewers[key{c.role, c.region.scope, c.viewer.OrgID}] = c.viewer
	}
	if len(matrixViewers) != 7*2*7 {
		t.Fatalf("%d distinct matrix viewers, want 98", len(matrixViewers))
	}

	// 1. For every viewer, the SQL set equals the CanRead set over all
	// records.
	results := map[key]map[int64]bool{}
	totalSQL := 0
	for k, v := range matrixViewers {
		results[k] = agree(t, db, recs, v, "r")
		agreeByTLP(t, db, recs, v)
		totalSQL += len(results[k])
	}

	// 2. For every combination, the SQL answer for its own record equals
	// the hand-written expectation, and the totals match.
	allowed := 0
	for i, c := range cs {
		got := results[key{c.role, c.region.scope, c.viewer.OrgID}][int64(i+1)]
		if got != c.want {
			t.Errorf("%v: ReadFilter %v, want %v", c, got, c.want)
		}
		if got {
			allowed++
		}
	}
	if allowed != wantAllowed {
		t.Errorf("ReadFilter allows %d of %d matrix combinations, want %d", allowed, len(cs), wantAllowed)
	}
	if totalSQL == 0 || totalSQL == len(matrixViewers)*len(recs) {
		t.Errorf("ReadFilter returned %d rows over %d queries of %d records: all or nothing", totalSQL, len(matrixViewers), len(recs))
	}

	// 3. The fragment composes: ANDed with a false condition it yields
	// nothing (it is parenthesised), ORed with a false one it is unchanged.
	v := matrixViewers[key{RoleAnalyst, "", matrixOwner}]
	if got := visible(t, db, v, "r", " AND r.id < 0"); len(got) != 0 {
		t.Errorf("fragment AND false returned %d rows", len(got))
	}
	base := visible(t, db, v, "r", "")
	if len(base) == 0 {
		t.Error("control: national analyst of the owner org sees nothing")
	}
	if got := visible(t, db, v, "r", " OR 1=0"); !maps.Equal(got, base) {
		t.Errorf("fragment OR false changed the result")
	}

	t.Logf("%d records, %d viewers, %d rows returned in all; %d combinations, %d allowed by ReadFilter",
		len(recs), len(matrixViewers), totalSQL, len(cs), allowed)
}

// TestReadFilterEdges checks ReadFilter against CanRead beyond the matrix:
// unknown labels, near-miss regions, owners and participants all over the
// tree, malformed scopes, invalid roles, viewers without a Lineage, and
// aliases that could clash with the subqueries'.
func TestReadFilterEdges(t *testing.T) {
	var recs []Record
	for _, tlp := range TLPs() {
		for _, rc := range regionCases {
			for _, named := range []bool{false, true} {
				recs = append(recs, matrixRecord(tlp, rc.region, named))
			}
		}
	}
	recs = append(recs, extraRecords()...)
	db := openTestDB(t, recs)
	total, queries := 0, 0
	for i, v := range extraViewers() {
		alias := []string{"r", "inc", "r_po", "record_orgs", "records"}[i%5]
		total += len(agree(t, db, recs, v, alias))
		queries++
	}
	if total == 0 || total == queries*len(recs) {
		t.Errorf("ReadFilter returned %d rows over %d queries of %d records: all or nothing", total, queries, len(recs))
	}
	t.Logf("%d records, %d viewers, %d rows returned", len(recs), queries, total)
}

// TestReadFilterShape pins the fragment for one viewer, so that a change to
// the SQL is a deliberate one.
func TestReadFilterShape(t *testing.T) {
	v := Viewer{UserID: 7, OrgID: 10, Role: RoleAnalyst, Scope: "32", Lineage: []int64{100, 10}}
	where, args := ReadFilter(v, "incident", "r")
	wantWhere := "((r.region = ? OR r.region LIKE ?) AND (" +
		"r.tlp IN (?, ?)" +
		" OR (r.tlp = ? AND (r.owner_org_id IN (?, ?) OR EXISTS (SELECT 1 FROM record_orgs r_po WHERE r_po.kind = ? AND r_po.record_id = r.id AND r_po.org_id IN (?, ?))))" +
		" OR (r.tlp = ? AND (r.owner_org_id = ? OR EXISTS (SELECT 1 FROM record_orgs r_po WHERE r_po.kind = ? AND r_po.record_id = r.id AND r_po.org_id = ?)))" +
		" OR (r.tlp = ? AND EXISTS (SELECT 1 FROM record_users r_pu WHERE r_pu.kind = ? AND r_pu.record_id = r.id AND r_pu.user_id = ?))))"
	wantArgs := []any{"32", "32.%", "CLEAR", "GREEN",
		"AMBER", int64(10), int64(100), "incident", int64(10), int64(100),
		"AMBER+STRICT", int64(10), "incident", int64(10),
		"RED", "incident", int64(7)}
	if where != wantWhere {
		t.Errorf("where =\n%s\nwant\n%s", where, wantWhere)
	}
	if !slices.Equal(args, wantArgs) {
		t.Errorf("args = %v\nwant %v", args, wantArgs)
	}
	// National scope: no region test at all.
	v.Scope = ""
	if where, _ := ReadFilter(v, "incident", "r"); strings.Contains(where, "region") {
		t.Errorf("national scope still filters on region: %s", where)
	}
}

// TestInRegion: the filter is left out exactly when the viewer's scope
// already lies inside the filtered region.
func TestInRegion(t *testing.T) {
	for _, c := range []struct {
		scope, code string
		test        bool
	}{
		{"", "32", true},        // a national viewer narrows to West Java
		{"32", "32", false},     // the province's own queue: scope says it all
		{"32.04", "32", false},  // a regency viewer filtering on its province
		{"32", "32.04", true},   // a province narrowing to a regency
		{"32", "33", true},      // outside the scope: the filter stays (and nothing matches)
		{"32", "", false},       // no filter
		{"32.04", "32.0", true}, // not a segment prefix
	} {
		cond, args := InRegion(Viewer{Scope: c.scope}, "x", c.code)
		if (cond != "") != c.test || (cond != "" && (len(args) != 2 || args[0] != c.code || args[1] != c.code+".%")) {
			t.Errorf("scope %q, region %q: %q %v", c.scope, c.code, cond, args)
		}
	}
	if cond, _ := InRegion(Viewer{Scope: "32"}, "x; DROP", "33"); cond != DenyAll {
		t.Errorf("a bad alias: %q, want DenyAll", cond)
	}
}
