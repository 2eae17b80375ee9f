package misp

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Community is a sharing community a feed is served to: its name and the
// most restrictive TLP its feed carries. RED never goes in a feed (RED is
// for named people, and a feed is read by a community's tools).
type Community struct {
	Slug   string     `json:"slug"`
	Name   string     `json:"name"`
	MaxTLP policy.TLP `json:"max_tlp"`
}

// Communities are the task force's sharing communities. A feed holds, of
// what its reader may read, what the community's TLP allows.
var Communities = []Community{
	{Slug: "publik", Name: "Publik (TLP:CLEAR)", MaxTLP: policy.Clear},
	{Slug: "mitra", Name: "Komunitas mitra: CSIRT sektor dan penyelenggara (sampai TLP:GREEN)", MaxTLP: policy.Green},
	{Slug: "satgas", Name: "Satuan tugas: organisasi yang diizinkan aturan (sampai TLP:AMBER+STRICT)", MaxTLP: policy.AmberStrict},
}

// CommunityOf finds a community by slug.
func CommunityOf(slug string) (Community, bool) {
	for _, c := range Communities {
		if c.Slug == slug {
			return c, true
		}
	}
	return Community{}, false
}

// allows reports whether a label may go in the community's feed.
func (c Community) allows(t policy.TLP) bool {
	return t != policy.Red && !t.Stricter(c.MaxTLP)
}

// Sighting is a MISP sighting as MISP's sightings API and PyMISP's
// MISPSighting carry it.
type Sighting struct {
	UUID          string `json:"uuid"`
	AttributeUUID string `json:"attribute_uuid"`
	EventUUID     string `json:"event_uuid"`
	DateSighting  Stamp  `json:"date_sighting"`
	Type          string `json:"type"` // "0" seen, "1" false positive, "2" expiration
	Source        string `json:"source"`
	Value         string `json:"value"`
	Organisation  Org    `json:"Organisation"`
}

// Feed is a MISP feed: events, with the manifest and hashes.csv that
// describe them, and the sightings of their attributes.
type Feed struct {
	Community Community
	Events    []*Event
	Sightings []Sighting
}

// FeedOptions narrow a feed.
type FeedOptions struct {
	Community Community
	Limit     int // indicators, default and cap 100,000
}

// BuildFeed builds the community's feed of the indicators the principal may
// read (visibility decided by internal/policy in the query) at TLPs the
// community allows: one event per owning organisation and TLP, one
// attribute per indicator (revoked ones as deleted attributes, so a MISP
// instance drops them), the TLP as the taxonomy's tag on the event and
// every attribute, and the indicators' sightings.
func BuildFeed(ctx context.Context, q store.Querier, who auth.Principal, tree *org.Tree, opt FeedOptions) (*Feed, error) {
	c := opt.Community
	if c.Slug == "" || !c.MaxTLP.Valid() {
		return nil, problem.New(problem.Invalid, "a feed needs a sharing community")
	}
	if opt.Limit <= 0 || opt.Limit > 100000 {
		opt.Limit = 100000
	}
	var tlps []policy.TLP
	for _, t := range policy.TLPs() {
		if c.allows(t) {
			tlps = append(tlps, t)
		}
	}
	feed := &Feed{Community: c}
	now := store.Now()
	byKey := map[string]*Event{}
	n, before := 0, int64(0)
	for n < opt.Limit {
		page, err := intel.List(ctx, q, who, intel.Filter{TLP: tlps, Before: before, Limit: 500})
		if err != nil {
			return nil, err
		}
		more := len(page) > 500
		if more {
			page = page[:500]
		}
		for _, i := range page {
			if n == opt.Limit {
				break
			}
			if !c.allows(i.TLP) {
				continue // the query asked for these only; never trust one place alone for RED
			}
			if _, warned := intel.Warned(i.Kind, i.Value); warned {
				continue // held from before the lists shipped: not shared
			}
			owner, _ := tree.ByID(i.OwnerID)
			key := owner.Slug + "\x00" + string(i.TLP)
			ev := byKey[key]
			if ev == nil {
				ev = newEvent(c, owner, i.TLP)
				byKey[key] = ev
			}
			a := attributeOf(i, now)
			ev.Attribute = append(ev.Attribute, a)
			if ts := Stamp(i.ModifiedAt.Unix()); ts > ev.Timestamp {
				ev.Timestamp, ev.PublishTimestamp = ts, ts
			}
			if d := i.CreatedAt.UTC().Format("2006-01-02"); ev.Date == "" || d < ev.Date {
				ev.Date = d
			}
			ss, err := intel.Sightings(ctx, q, who, i.ID)
			if err != nil {
				return nil, err
			}
			for _, s := range ss {
				o := Org{Name: s.Org, UUID: orgUUID(s.Org)}
				if so, ok := tree.BySlug(s.Org); ok {
					o.Name = so.Name
				}
				src := "garda"
				if s.Region != "" {
					src += ":" + s.Region
				}
				feed.Sightings = append(feed.Sightings, Sighting{UUID: uuidPart(s.STIXID), AttributeUUID: a.UUID, EventUUID: ev.UUID,
					DateSighting: Stamp(s.LastSeen.Unix()), Type: "0", Source: src, Value: a.Value, Organisation: o})
			}
			n++
		}
		if !more {
			break
		}
		before = page[len(page)-1].ID
	}
	for _, ev := range byKey {
		sort.Slice(ev.Attribute, func(i, j int) bool { return ev.Attribute[i].UUID < ev.Attribute[j].UUID })
		feed.Events = append(feed.Events, ev)
	}
	sort.Slice(feed.Events, func(i, j int) bool { return feed.Events[i].UUID < feed.Events[j].UUID })
	return feed, nil
}

// orgUUID is the UUID of a Garda organisation's STIX identity, so an
// organisation is the same in Garda's STIX and MISP.
func orgUUID(slug string) string { return uuidPart(intel.IdentityID(slug)) }

func uuidPart(stixID string) string {
	if i := strings.Index(stixID, "--"); i >= 0 {
		return stixID[i+2:]
	}
	return stixID
}

func newEvent(c Community, owner org.Org, t policy.TLP) *Event {
	return &Event{
		UUID:          uuid5("event:" + c.Slug + ":" + owner.Slug + ":" + string(t)),
		Info:          fmt.Sprintf("Garda: indikator %s (%s) untuk komunitas %s", owner.Name, "TLP:"+string(t), c.Slug),
		ThreatLevelID: 2, // medium
		Analysis:      2, // completed
		Published:     true,
		Orgc:          Org{Name: owner.Name, UUID: orgUUID(owner.Slug)},
		Tag:           []Tag{tlpTag(t)},
	}
}

// attributeOf is the indicator as an attribute: for IDS (to_ids) only while
// it is marked for detection and in force.
func attributeOf(i intel.Indicator, now time.Time) Attribute {
	typ, cat := typeOf(i.Kind)
	comment := i.Name
	if i.Description != "" {
		comment = strings.TrimSpace(comment + "\n" + i.Description)
	}
	a := Attribute{UUID: uuidPart(i.STIXID), Type: typ, Category: cat, Value: i.Value, ToIDs: i.Detect && i.Active(now),
		Comment: comment, Timestamp: Stamp(i.ModifiedAt.Unix()), Deleted: i.Revoked, Tag: []Tag{tlpTag(i.TLP)}}
	for _, t := range i.Techniques {
		yes, no := true, false
		a.Tag = append(a.Tag, Tag{Name: `garda:technique="` + t + `"`, Colour: "#0088cc", Exportable: &yes, HideTag: &no})
	}
	return a
}

// Manifest is manifest.json: each event's UUID to its summary, as PyMISP's
// MISPEvent.manifest writes it.
func (f *Feed) Manifest() map[string]ManifestEntry {
	m := make(map[string]ManifestEntry, len(f.Events))
	for _, e := range f.Events {
		tags := make([]Tag, len(e.Tag))
		for i, t := range e.Tag {
			tags[i] = Tag{Name: t.Name, Colour: t.Colour}
		}
		m[e.UUID] = ManifestEntry{Orgc: e.Orgc, Tag: tags, Info: e.Info, Date: e.Date,
			Analysis: int(e.Analysis), ThreatLevelID: int(e.ThreatLevelID), Timestamp: int64(e.Timestamp)}
	}
	return m
}

// Hashes is hashes.csv as MISP's feed generator writes it: one line per
// attribute value (each part of a composite), "<md5 of the value>,<event uuid>".
func (f *Feed) Hashes() []byte {
	var b strings.Builder
	for _, e := range f.Events {
		for _, a := range e.Attributes() {
			for _, v := range strings.Split(a.Value, "|") {
				sum := md5.Sum([]byte(v))
				b.WriteString(hex.EncodeToString(sum[:]) + "," + e.UUID + "\n")
			}
		}
	}
	return []byte(b.String())
}

// EventJSON is one event's file, {"Event": {...}}.
func EventJSON(e *Event) ([]byte, error) {
	return json.Marshal(map[string]*Event{"Event": e})
}

// SightingsJSON is the feed's sightings as MISP's sightings API lists them:
// [{"Sighting": {...}}, ...].
func (f *Feed) SightingsJSON() ([]byte, error) {
	out := make([]map[string]Sighting, len(f.Sightings))
	for i, s := range f.Sightings {
		out[i] = map[string]Sighting{"Sighting": s}
	}
	return json.Marshal(out)
}

// File is one file of the feed by name: manifest.json, hashes.csv,
// sightings.json or <uuid>.json; ok is false for any other name.
func (f *Feed) File(name string) (data []byte, ok bool, err error) {
	switch name {
	case "manifest.json":
		b, err := json.Marshal(f.Manifest())
		return b, true, err
	case "hashes.csv":
		return f.Hashes(), true, nil
	case "sightings.json":
		b, err := f.SightingsJSON()
		return b, true, err
	}
	id, isJSON := strings.CutSuffix(name, ".json")
	if !isJSON {
		return nil, false, nil
	}
	for _, e := range f.Events {
		if e.UUID == strings.ToLower(id) {
			b, err := EventJSON(e)
			return b, true, err
		}
	}
	return nil, false, nil
}

// WriteDir writes the feed into dir (created if missing): manifest.json,
// hashes.csv, sightings.json and one <uuid>.json per event.
func (f *Feed) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := []string{"manifest.json", "hashes.csv", "sightings.json"}
	for _, e := range f.Events {
		names = append(names, e.UUID+".json")
	}
	for _, name := range names {
		b, _, err := f.File(name)
		if err != nil {
			return fmt.Errorf("feed %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Attributes counts the feed's attributes.
func (f *Feed) Attributes() int {
	n := 0
	for _, e := range f.Events {
		n += len(e.Attributes())
	}
	return n
}
