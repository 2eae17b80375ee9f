package policy

import (
	"slices"
	"strings"
)

// Viewer is the signed-in user a decision is made for.
type Viewer struct {
	UserID int64
	OrgID  int64
	Role   Role
	// Scope is the region-code prefix the user works in: "" is national,
	// "32" a province, "32.04" a regency. A malformed scope reads nothing.
	Scope string
	// Lineage is OrgID and every organisation below it in the organisation
	// tree (children, grandchildren, ...), as computed by LineageOf from the
	// org tree. It MUST include OrgID itself. (CanRead and ReadFilter add
	// OrgID if the caller forgot it, but callers must not rely on that.) It
	// gives the "ancestor" half of the AMBER rule: the viewer's organisation
	// is an ancestor-or-self of an organisation X exactly when X is in the
	// viewer's Lineage.
	Lineage []int64
}

// Record is the access-relevant part of a record (incident, alert, finding,
// indicator, content item, report, ...).
type Record struct {
	OwnerOrg int64
	// Region is a Kemendagri code ("" national, "32", "32.04", ...). It is
	// validated when the record is written; this package only compares it
	// with the viewer's scope.
	Region string
	TLP    TLP
	Orgs   []int64 // participant organisations
	Users  []int64 // named participant users
}

// WithNamedUser returns a copy of r with userID among its named users and
// orgID among its participant organisations (each added only if absent). The
// design requires it for the user who creates a record: the creator is
// always a named user and the creator's organisation a participant. Using it
// also when a user is named later keeps the rule monotone: a named user keeps
// read access if the label is lowered from RED to AMBER+STRICT or AMBER.
func (r Record) WithNamedUser(userID, orgID int64) Record {
	r.Users = slices.Clone(r.Users)
	r.Orgs = slices.Clone(r.Orgs)
	if userID > 0 && !slices.Contains(r.Users, userID) {
		r.Users = append(r.Users, userID)
	}
	if orgID > 0 && !slices.Contains(r.Orgs, orgID) {
		r.Orgs = append(r.Orgs, orgID)
	}
	return r
}

// signedIn reports whether v is a usable viewer at all: a user in an
// organisation, with a known role that may read and a well-formed scope.
// The zero Viewer is not.
func (v Viewer) signedIn() bool {
	return v.UserID > 0 && v.OrgID > 0 && Can(v.Role, Read) && validScope(v.Scope)
}

// inLineage reports whether org is in v's lineage (OrgID always counts).
func (v Viewer) inLineage(org int64) bool {
	return org == v.OrgID || (org > 0 && slices.Contains(v.Lineage, org))
}

// lineage returns v's lineage as ReadFilter uses it: OrgID plus the positive
// ids of Lineage, deduplicated and sorted. It is the set inLineage tests.
func (v Viewer) lineage() []int64 {
	out := make([]int64, 0, len(v.Lineage)+1)
	out = append(out, v.OrgID)
	for _, id := range v.Lineage {
		if id > 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CanRead reports whether v may read r. It is the design rule verbatim:
// r.Region must lie inside v.Scope, and then
//
//	CLEAR, GREEN  any signed-in viewer
//	AMBER         r.OwnerOrg or a participant org is in v.Lineage
//	AMBER+STRICT  r.OwnerOrg or a participant org is v.OrgID
//	RED           v.UserID is a named user of r, whatever v.Role is
//
// Everything else, including an invalid TLP, an unknown role, a malformed
// scope or the zero Viewer, is denied. Note that the rule is literal: a named
// user whose organisation is neither owner nor participant reads the record
// at RED but not at AMBER or AMBER+STRICT; see Record.WithNamedUser.
func CanRead(v Viewer, r Record) bool {
	if !v.signedIn() || !inScope(v.Scope, r.Region) {
		return false
	}
	switch r.TLP {
	case Clear, Green:
		return true
	case Amber:
		return v.inLineage(r.OwnerOrg) || slices.ContainsFunc(r.Orgs, v.inLineage)
	case AmberStrict:
		return r.OwnerOrg == v.OrgID || slices.Contains(r.Orgs, v.OrgID)
	case Red:
		return slices.Contains(r.Users, v.UserID)
	}
	return false
}

// CanWrite reports whether v may perform a on r: the role must allow a
// (Can) and v must be able to read r. A caller that gets false for a record
// v cannot read must answer "not found", as for a read.
func CanWrite(v Viewer, r Record, a Action) bool {
	return Can(v.Role, a) && CanRead(v, r)
}

// LineageOf returns orgID and all of its descendants (children,
// grandchildren, ...), sorted ascending, given the organisation tree as a
// child→parent map (roots map to 0 or are absent as keys). It is the value
// for Viewer.Lineage. A cycle in the map does not loop forever. It returns
// nil for orgID <= 0.
func LineageOf(orgID int64, parentOf map[int64]int64) []int64 {
	if orgID <= 0 {
		return nil
	}
	children := make(map[int64][]int64)
	for child, parent := range parentOf {
		if child > 0 && parent > 0 && child != parent {
			children[parent] = append(children[parent], child)
		}
	}
	out := []int64{orgID}
	seen := map[int64]bool{orgID: true}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// validScope reports whether s is a well-formed Kemendagri code: "" for
// national, or 1 to 4 dot-separated all-digit segments of widths 2, 2, 2
// and 4 ("32", "32.04", "32.04.01", "32.04.01.2001"). This is the same shape
// the region package accepts.
func validScope(s string) bool {
	if s == "" {
		return true
	}
	segs := strings.Split(s, ".")
	if len(segs) > 4 {
		return false
	}
	for i, seg := range segs {
		width := 2
		if i == 3 {
			width = 4
		}
		if len(seg) != width {
			return false
		}
		for j := 0; j < len(seg); j++ {
			if seg[j] < '0' || seg[j] > '9' {
				return false
			}
		}
	}
	return true
}

// inScope reports whether region lies inside scope, on whole dot-separated
// segments: "" covers everything; "32" covers "32" and "32.04" but not "3",
// "320" or "" (a national record is not inside a provincial scope). The
// scope must already be valid. For well-formed region codes this agrees with
// region.Contains; it is kept here, as a plain prefix test, because it must
// agree exactly with the SQL in ReadFilter (region = scope OR region LIKE
// scope || '.%').
func inScope(scope, region string) bool {
	return scope == "" || region == scope || strings.HasPrefix(region, scope+".")
}
