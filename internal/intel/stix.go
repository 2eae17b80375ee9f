// Package intel is Garda's threat intelligence: STIX 2.1 objects built from
// the platform's work (indicators with valid STIX patterns, sightings,
// observed data, identities, attack patterns, vulnerabilities, reports,
// relationships, the TLP 2.0 markings), the indicators store with its
// sightings, and bundles in and out. Every record goes through
// internal/policy; every write is audited.
//
// It never sends anything anywhere by itself: TAXII and MISP are other
// packages' work, and what leaves the platform is what a user may read.
package intel

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SpecVersion is the STIX version Garda speaks.
const SpecVersion = "2.1"

// Stamp is a STIX timestamp: RFC 3339 in UTC with exactly milliseconds, as
// the specification recommends for interoperable timestamps.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// scoNamespace is the UUIDv5 namespace the STIX 2.1 specification (section
// 2.9) fixes for the deterministic ids of cyber-observable objects.
var scoNamespace = mustUUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

// gardaNamespace is Garda's own UUIDv5 namespace, for ids that must be the
// same on every instance (an organisation's identity, a CVE's vulnerability,
// an ATT&CK technique's attack-pattern).
var gardaNamespace = mustUUID("6b0f3c52-8f1e-5a43-9d5e-9a7c0e2a1d61")

func mustUUID(s string) [16]byte {
	var u [16]byte
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		panic("intel: bad UUID literal " + s) // only the literals above reach here
	}
	copy(u[:], b)
	return u
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// uuid5 is RFC 9562's name-based UUID with SHA-1.
func uuid5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

// NewID is a fresh random (version 4) STIX id of the given type.
func NewID(typ string) string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return typ + "--" + formatUUID(u)
}

// gardaID is a deterministic id of typ in Garda's namespace.
func gardaID(typ, name string) string { return typ + "--" + uuid5(gardaNamespace, typ+":"+name) }

// scoID is the deterministic id of a cyber-observable: UUIDv5 of the
// canonical JSON (keys sorted, no spaces: encoding/json's map order) of its
// id-contributing properties.
func scoID(typ string, contributing map[string]any) string {
	b, _ := json.Marshal(contributing)
	return typ + "--" + uuid5(scoNamespace, string(b))
}

// ExternalReference points outside STIX: ATT&CK, CAPEC, CVE, a URL.
type ExternalReference struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// Common holds the properties every object Garda emits shares. Created and
// Modified are empty on cyber-observables (they have neither).
type Common struct {
	Type               string              `json:"type"`
	SpecVersion        string              `json:"spec_version"`
	ID                 string              `json:"id"`
	CreatedByRef       string              `json:"created_by_ref,omitempty"`
	Created            string              `json:"created,omitempty"`
	Modified           string              `json:"modified,omitempty"`
	Revoked            bool                `json:"revoked,omitempty"`
	Labels             []string            `json:"labels,omitempty"`
	Confidence         *int                `json:"confidence,omitempty"`
	ExternalReferences []ExternalReference `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string            `json:"object_marking_refs,omitempty"`
}

// Object is any STIX object Garda emits.
type Object interface{ Core() *Common }

// Core returns the common properties.
func (c *Common) Core() *Common { return c }

func sdo(typ, id, creator string, at time.Time, marks []string) Common {
	s := Stamp(at)
	return Common{Type: typ, SpecVersion: SpecVersion, ID: id, CreatedByRef: creator, Created: s, Modified: s, ObjectMarkingRefs: marks}
}

// Identity is an organisation of the task force.
type Identity struct {
	Common
	Name          string   `json:"name"`
	Description   string   `json:"description,omitempty"`
	IdentityClass string   `json:"identity_class"`
	Sectors       []string `json:"sectors,omitempty"`
}

// identityEpoch is the created time of every organisation's identity, so
// that the object is the same wherever and whenever it is built.
var identityEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// IdentityID is the deterministic id of a Garda organisation's identity:
// the same on every instance, so partners can tell who made what.
func IdentityID(orgSlug string) string { return gardaID("identity", "org:"+orgSlug) }

// NewIdentity is the identity of a Garda organisation.
func NewIdentity(orgSlug, name string) *Identity {
	return &Identity{
		Common:        sdo("identity", IdentityID(orgSlug), "", identityEpoch, nil),
		Name:          name,
		IdentityClass: "organization",
		Sectors:       []string{"government"},
	}
}

// IndicatorObject is a STIX indicator: a pattern to look for.
type IndicatorObject struct {
	Common
	Name           string   `json:"name,omitempty"`
	Description    string   `json:"description,omitempty"`
	IndicatorTypes []string `json:"indicator_types,omitempty"`
	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	PatternVersion string   `json:"pattern_version,omitempty"`
	ValidFrom      string   `json:"valid_from"`
	ValidUntil     string   `json:"valid_until,omitempty"`
}

// ObservedData is what was seen: the observables, how often, when.
type ObservedData struct {
	Common
	FirstObserved  string   `json:"first_observed"`
	LastObserved   string   `json:"last_observed"`
	NumberObserved int64    `json:"number_observed"`
	ObjectRefs     []string `json:"object_refs"`
}

// SightingObject says an indicator was seen, how often, when and by whom.
type SightingObject struct {
	Common
	Description      string   `json:"description,omitempty"`
	FirstSeen        string   `json:"first_seen,omitempty"`
	LastSeen         string   `json:"last_seen,omitempty"`
	Count            *int64   `json:"count,omitempty"`
	SightingOfRef    string   `json:"sighting_of_ref"`
	ObservedDataRefs []string `json:"observed_data_refs,omitempty"`
	WhereSightedRefs []string `json:"where_sighted_refs,omitempty"`
}

// AttackPattern is an ATT&CK technique or a CAPEC pattern.
type AttackPattern struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Vulnerability is a CVE.
type Vulnerability struct {
	Common
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Report collects objects about one matter.
type Report struct {
	Common
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	ReportTypes []string `json:"report_types,omitempty"`
	Published   string   `json:"published"`
	ObjectRefs  []string `json:"object_refs"`
}

// Relationship links two objects ("indicates", "based-on", "targets", ...).
type Relationship struct {
	Common
	RelationshipType string `json:"relationship_type"`
	Description      string `json:"description,omitempty"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`
}

// Observable is a cyber-observable object (ipv4-addr, domain-name, url,
// file, ...). Its properties beyond the common ones are kept as a map, since
// each type has its own.
type Observable struct {
	Type        string
	ID          string
	SpecVersion string
	Props       map[string]any
}

// Core lets an observable sit in a bundle; only Type and ID are meaningful.
func (o *Observable) Core() *Common {
	return &Common{Type: o.Type, ID: o.ID, SpecVersion: o.SpecVersion}
}

// MarshalJSON writes the observable flat, as STIX has it.
func (o *Observable) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(o.Props)+3)
	for k, v := range o.Props {
		m[k] = v
	}
	m["type"], m["id"], m["spec_version"] = o.Type, o.ID, SpecVersion
	return json.Marshal(m)
}

// Bundle is a STIX 2.1 bundle.
type Bundle struct {
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Objects []Object `json:"objects,omitempty"` // STIX: absent, not empty, when there are none
}

// NewBundle wraps objects, each id once (the first wins), in a bundle.
func NewBundle(objs ...Object) *Bundle {
	b := &Bundle{Type: "bundle", ID: NewID("bundle"), Objects: []Object{}}
	b.Add(objs...)
	return b
}

// Add appends the objects whose ids the bundle does not hold yet.
func (b *Bundle) Add(objs ...Object) {
	have := make(map[string]bool, len(b.Objects))
	for _, o := range b.Objects {
		have[o.Core().ID] = true
	}
	for _, o := range objs {
		if id := o.Core().ID; !have[id] {
			have[id] = true
			b.Objects = append(b.Objects, o)
		}
	}
}

// AttackPatternOf is the attack-pattern of an ATT&CK technique ("T1190",
// "T1110.001") or a CAPEC pattern ("CAPEC-66"), with its deterministic id.
func AttackPatternOf(ref, name string) (*AttackPattern, error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	var er ExternalReference
	switch {
	case techniqueRE.MatchString(ref):
		er = ExternalReference{SourceName: "mitre-attack", ExternalID: ref,
			URL: "https://attack.mitre.org/techniques/" + strings.ReplaceAll(ref, ".", "/") + "/"}
	case capecRE.MatchString(ref):
		er = ExternalReference{SourceName: "capec", ExternalID: ref,
			URL: "https://capec.mitre.org/data/definitions/" + strings.TrimPrefix(ref, "CAPEC-") + ".html"}
	default:
		return nil, fmt.Errorf("intel: %q is neither an ATT&CK technique (T1190) nor a CAPEC id (CAPEC-66)", ref)
	}
	if name == "" {
		name = ref
	}
	ap := &AttackPattern{Common: sdo("attack-pattern", gardaID("attack-pattern", ref), "", identityEpoch, nil), Name: name}
	ap.ExternalReferences = []ExternalReference{er}
	return ap, nil
}

// VulnerabilityOf is the vulnerability of a CVE id, with its deterministic id.
func VulnerabilityOf(cve, description string) (*Vulnerability, error) {
	cve = strings.ToUpper(strings.TrimSpace(cve))
	if !cveRE.MatchString(cve) {
		return nil, fmt.Errorf("intel: %q is not a CVE id (CVE-2024-12345)", cve)
	}
	v := &Vulnerability{Common: sdo("vulnerability", gardaID("vulnerability", cve), "", identityEpoch, nil), Name: cve, Description: description}
	v.ExternalReferences = []ExternalReference{{SourceName: "cve", ExternalID: cve, URL: "https://www.cve.org/CVERecord?id=" + cve}}
	return v, nil
}

// NewRelationship links source to target. Its id is deterministic
// (RelationshipID), so the same link exported twice is one object to a
// partner that imports both exports.
func NewRelationship(typ, source, target, creator string, at time.Time, marks []string) *Relationship {
	return &Relationship{Common: sdo("relationship", RelationshipID(typ, source, target), creator, at, marks), RelationshipType: typ, SourceRef: source, TargetRef: target}
}

// RelationshipID is the id of the relationship of typ from source to
// target: a UUIDv5 (Garda's namespace) of the three, as STIX 2.1 (section
// 2.9) recommends for ids that must not change between productions of the
// same object.
func RelationshipID(typ, source, target string) string {
	return gardaID("relationship", typ+"|"+source+"|"+target)
}

// NewReport collects refs under a name.
func NewReport(name, creator string, at time.Time, marks []string, refs []string) *Report {
	return &Report{Common: sdo("report", NewID("report"), creator, at, marks), Name: name,
		ReportTypes: []string{"threat-report"}, Published: Stamp(at), ObjectRefs: refs}
}

var idRE = regexp.MustCompile(`^([a-z0-9][a-z0-9-]{1,248}[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)

// validID reports whether id is a STIX identifier of type typ ("" for any).
func validID(typ, id string) bool {
	m := idRE.FindStringSubmatch(id)
	return m != nil && (typ == "" || m[1] == typ)
}
