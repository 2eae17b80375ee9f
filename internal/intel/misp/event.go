// Package misp speaks MISP's own formats for Garda's intelligence: feeds
// (manifest.json, one <uuid>.json event each, hashes.csv) as MISP's feed
// generator and PyMISP's to_feed write them, built from the indicators a
// reader may see and served per sharing community; import of such feeds
// (from a directory or over HTTP, on a schedule) with every attribute
// becoming an indicator under its TLP tags; and sightings as MISP
// sightings. MISP warninglists are applied on the way in and out
// (internal/intel/warninglist): a resolver or a CDN never becomes an
// indicator.
package misp

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits on what Garda reads.
const (
	MaxEventBytes    = 32 << 20 // one <uuid>.json
	MaxManifestBytes = 16 << 20 // manifest.json
	MaxAttributes    = 100000   // attributes (object attributes included) of one event
	MaxEvents        = 20000    // events of one manifest
)

// Org is a MISP organisation as feeds carry it.
type Org struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// Tag is a MISP tag (tlp:amber, a galaxy cluster, ...).
type Tag struct {
	Name       string `json:"name"`
	Colour     string `json:"colour,omitempty"`
	Exportable *bool  `json:"exportable,omitempty"`
	HideTag    *bool  `json:"hide_tag,omitempty"`
}

// Attribute is one value of an event.
type Attribute struct {
	UUID               string `json:"uuid"`
	Type               string `json:"type"`
	Category           string `json:"category"`
	Value              string `json:"value"`
	ToIDs              bool   `json:"to_ids"`
	Comment            string `json:"comment"`
	Timestamp          Stamp  `json:"timestamp"`
	Deleted            bool   `json:"deleted"`
	DisableCorrelation bool   `json:"disable_correlation"`
	Tag                []Tag  `json:"Tag,omitempty"`
}

// Object is a MISP object: a template's attributes together.
type Object struct {
	UUID      string      `json:"uuid"`
	Name      string      `json:"name"`
	Attribute []Attribute `json:"Attribute"`
}

// Event is a MISP event as a feed's <uuid>.json holds it (under "Event").
type Event struct {
	UUID             string      `json:"uuid"`
	Info             string      `json:"info"`
	Date             string      `json:"date"`
	ThreatLevelID    IntString   `json:"threat_level_id"`
	Analysis         IntString   `json:"analysis"`
	Timestamp        Stamp       `json:"timestamp"`
	PublishTimestamp Stamp       `json:"publish_timestamp"`
	Published        bool        `json:"published"`
	Orgc             Org         `json:"Orgc"`
	Tag              []Tag       `json:"Tag,omitempty"`
	Attribute        []Attribute `json:"Attribute,omitempty"`
	Object           []Object    `json:"Object,omitempty"`
}

// Stamp is a MISP timestamp: Unix seconds, which MISP writes as a string
// and some tools as a number. It writes as a string.
type Stamp int64

// Time is the stamp as a time.
func (s Stamp) Time() time.Time { return time.Unix(int64(s), 0).UTC() }

// MarshalJSON writes the string MISP writes.
func (s Stamp) MarshalJSON() ([]byte, error) { return json.Marshal(strconv.FormatInt(int64(s), 10)) }

// UnmarshalJSON reads a string or a number of seconds.
func (s *Stamp) UnmarshalJSON(b []byte) error {
	n, err := intOf(b)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if n < 0 || n > 1<<40 {
		return fmt.Errorf("timestamp %d out of range", n)
	}
	*s = Stamp(n)
	return nil
}

// IntString is a small number MISP writes as a string ("2").
type IntString int

// MarshalJSON writes the string.
func (n IntString) MarshalJSON() ([]byte, error) { return json.Marshal(strconv.Itoa(int(n))) }

// UnmarshalJSON reads a string or a number.
func (n *IntString) UnmarshalJSON(b []byte) error {
	v, err := intOf(b)
	if err != nil {
		return err
	}
	if v < 0 || v > 1000 {
		return fmt.Errorf("%d out of range", v)
	}
	*n = IntString(v)
	return nil
}

func intOf(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return 0, nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
		return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	}
	var f json.Number
	if err := json.Unmarshal(b, &f); err != nil {
		return 0, fmt.Errorf("not a number: %s", short(string(b)))
	}
	if n, err := f.Int64(); err == nil {
		return n, nil
	}
	x, err := f.Float64()
	if err != nil {
		return 0, err
	}
	return int64(x), nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidUUID reports whether s is a UUID as MISP writes them.
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }

// ParseEvent reads one event as a feed's <uuid>.json holds it ({"Event":
// {...}}; a bare event or MISP's {"response": [{"Event": ...}]} too) and
// checks what Garda relies on: a UUID, an info, attributes with a UUID, a
// type and a value, at most MaxAttributes. The error names what is wrong.
func ParseEvent(data []byte) (*Event, error) {
	if len(data) > MaxEventBytes {
		return nil, fmt.Errorf("event of %d bytes; at most %d MiB", len(data), MaxEventBytes>>20)
	}
	var wrap struct {
		Event    json.RawMessage `json:"Event"`
		Response []struct {
			Event json.RawMessage `json:"Event"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &wrap); err != nil {
		return nil, fmt.Errorf("not a MISP event: %v", err)
	}
	raw := wrap.Event
	if raw == nil && len(wrap.Response) > 0 {
		raw = wrap.Response[0].Event
	}
	if raw == nil {
		raw = data
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("not a MISP event: %v", err)
	}
	if !ValidUUID(ev.UUID) {
		return nil, fmt.Errorf("event uuid %q is not a UUID", short(ev.UUID))
	}
	if strings.TrimSpace(ev.Info) == "" {
		return nil, fmt.Errorf("event %s has no info", ev.UUID)
	}
	n := len(ev.Attribute)
	for _, o := range ev.Object {
		n += len(o.Attribute)
	}
	if n > MaxAttributes {
		return nil, fmt.Errorf("event %s has %d attributes; at most %d", ev.UUID, n, MaxAttributes)
	}
	check := func(where string, a Attribute) error {
		switch {
		case !ValidUUID(a.UUID):
			return fmt.Errorf("event %s: %s: uuid %q is not a UUID", ev.UUID, where, short(a.UUID))
		case a.Type == "":
			return fmt.Errorf("event %s: %s (%s): no type", ev.UUID, where, a.UUID)
		case a.Value == "":
			return fmt.Errorf("event %s: %s (%s): no value", ev.UUID, where, a.UUID)
		}
		return nil
	}
	for i, a := range ev.Attribute {
		if err := check(fmt.Sprintf("attribute %d", i), a); err != nil {
			return nil, err
		}
	}
	for j, o := range ev.Object {
		for i, a := range o.Attribute {
			if err := check(fmt.Sprintf("object %d attribute %d", j, i), a); err != nil {
				return nil, err
			}
		}
	}
	return &ev, nil
}

// Attributes are the event's attributes and its objects' attributes, in order.
func (e *Event) Attributes() []Attribute {
	out := append([]Attribute(nil), e.Attribute...)
	for _, o := range e.Object {
		out = append(out, o.Attribute...)
	}
	return out
}

// ManifestEntry is an event's line in manifest.json.
type ManifestEntry struct {
	Orgc          Org    `json:"Orgc"`
	Tag           []Tag  `json:"Tag"`
	Info          string `json:"info"`
	Date          string `json:"date"`
	Analysis      int    `json:"analysis"`
	ThreatLevelID int    `json:"threat_level_id"`
	Timestamp     int64  `json:"timestamp"`
}

// manifestLine reads one manifest entry leniently (numbers or strings).
type manifestLine struct {
	Info      string `json:"info"`
	Timestamp Stamp  `json:"timestamp"`
}

// ParseManifest reads manifest.json: event UUID to its entry. Only the
// UUIDs and timestamps matter to an import.
func ParseManifest(data []byte) (map[string]Stamp, error) {
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("manifest of %d bytes; at most %d MiB", len(data), MaxManifestBytes>>20)
	}
	var m map[string]manifestLine
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a MISP feed manifest: %v", err)
	}
	if len(m) > MaxEvents {
		return nil, fmt.Errorf("manifest lists %d events; at most %d", len(m), MaxEvents)
	}
	out := make(map[string]Stamp, len(m))
	for id, e := range m {
		if !ValidUUID(id) {
			return nil, fmt.Errorf("manifest: %q is not an event UUID", short(id))
		}
		out[strings.ToLower(id)] = e.Timestamp
	}
	return out, nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// uuid5 is RFC 9562's name-based UUID (SHA-1) in Garda's MISP namespace.
func uuid5(name string) string {
	ns, _ := hex.DecodeString("4f1b6e0a2c7d5e3f9a1b0c2d3e4f5a6b")
	h := sha1.New()
	h.Write(ns)
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
