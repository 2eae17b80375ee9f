package misp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
)

// EventResult is what the import of one event did. Error is set when the
// event was refused as a whole (nothing of it kept).
type EventResult struct {
	Event      string             `json:"event"`
	Info       string             `json:"info,omitempty"`
	Attributes int                `json:"attributes"` // attributes read
	Held       int                `json:"held"`       // values now held as indicators (new or already held)
	Imported   intel.ImportResult `json:"imported"`
	Skipped    []string           `json:"skipped,omitempty"` // types Garda holds no indicators of
	Refused    []string           `json:"refused,omitempty"` // values on a warninglist
	Error      string             `json:"error,omitempty"`
}

// Result is what the import of a feed did, event by event.
type Result struct {
	Events []EventResult `json:"events"`
	Failed int           `json:"failed"` // events refused
}

// Err is an error naming every refused event, or nil.
func (r Result) Err() error {
	if r.Failed == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d MISP events refused (each wholly; the others were imported)", r.Failed, len(r.Events))
	for _, e := range r.Events {
		if e.Error != "" {
			fmt.Fprintf(&b, "\n  event %s: %s", e.Event, e.Error)
		}
	}
	return errors.New(b.String())
}

var stixUUIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// stixID is a STIX id of typ for a MISP UUID: the UUID itself when STIX
// accepts it (so a value keeps one id across Garda, MISP and back),
// otherwise a name-based one.
func stixID(typ, u string) string {
	u = strings.ToLower(u)
	if stixUUIDRE.MatchString(u) {
		return typ + "--" + u
	}
	return typ + "--" + uuid5(typ+":"+u)
}

// ImportEvent imports one MISP event as the principal, in one transaction:
// every attribute of a type Garda holds (and of an object's attributes)
// becomes an indicator with the attribute's UUID as its STIX id, its TLP
// from the attribute's tlp: tag, else the event's, else AMBER; the event's
// creator is the indicator's creator. An attribute on a warninglist is
// refused by name and the rest goes in; a value that does not parse
// refuses the whole event (nothing half-imported). Deleted attributes
// revoke what Garda holds under their UUID.
func ImportEvent(ctx context.Context, db *store.DB, who auth.Principal, ev *Event) (EventResult, error) {
	res := EventResult{Event: ev.UUID, Info: ev.Info}
	creator := stixID("identity", ev.Orgc.UUID)
	if ev.Orgc.UUID == "" {
		creator = intel.IdentityID(who.Org.Slug)
	}
	eventTLP, eventMarked := tlpOfTags(ev.Tag)
	now := intel.Stamp(store.Now())
	objects := []any{}
	if ev.Orgc.UUID != "" {
		name := ev.Orgc.Name
		if name == "" {
			name = ev.Orgc.UUID
		}
		objects = append(objects, map[string]any{"type": "identity", "spec_version": "2.1", "id": creator, "created": now, "modified": now,
			"name": name, "identity_class": "organization"})
	}
	var bad []string
	for ai, a := range ev.Attributes() {
		res.Attributes++
		vals, ok := valuesOf(a)
		if !ok {
			res.Skipped = append(res.Skipped, fmt.Sprintf("attribute %s: type %q is not one Garda holds indicators of", a.UUID, a.Type))
			continue
		}
		tlp, marked := tlpOfTags(a.Tag)
		if !marked {
			tlp, marked = eventTLP, eventMarked
		}
		if !marked {
			tlp = policy.Amber
		}
		at := a.Timestamp
		if at == 0 {
			at = ev.Timestamp
		}
		from := intel.Stamp(at.Time())
		name := ev.Info
		if len(name) > 256 {
			name = strings.ToValidUTF8(name[:256], "")
		}
		desc := strings.TrimSpace(a.Comment + "\nMISP event " + ev.UUID + ", attribute " + a.UUID + " (" + a.Type + ")")
		if len(desc) > 4096 {
			desc = strings.ToValidUTF8(desc[:4096], "")
		}
		for vi, v := range vals {
			norm, err := intel.Normalize(v.Kind, v.Value)
			if err != nil {
				bad = append(bad, fmt.Sprintf("attribute %d (%s, %s): %v", ai, a.UUID, a.Type, err))
				continue
			}
			if hit, warned := intel.Warned(v.Kind, norm); warned {
				res.Refused = append(res.Refused, fmt.Sprintf("attribute %s (%s %s): on the %s; a known resolver, CDN or platform never becomes an indicator", a.UUID, a.Type, norm, hit))
				continue
			}
			id := stixID("indicator", a.UUID)
			if vi > 0 {
				id = "indicator--" + uuid5("indicator:"+strings.ToLower(a.UUID)+":"+string(v.Kind))
			}
			objects = append(objects, map[string]any{
				"type": "indicator", "spec_version": "2.1", "id": id, "created_by_ref": creator,
				"created": from, "modified": from, "name": name, "description": desc,
				"pattern": intel.Pattern(v.Kind, norm), "pattern_type": "stix", "valid_from": from,
				"revoked": a.Deleted, "object_marking_refs": []string{intel.MarkingID(tlp)},
				"x_garda_detect": a.ToIDs && !a.Deleted, "x_garda_techniques": techniquesOf(a.Tag, ev.Tag),
			})
			res.Held++
		}
	}
	if len(bad) > 0 {
		res.Held = 0
		res.Error = fmt.Sprintf("%d attributes are wrong, nothing of the event imported:\n    %s", len(bad), strings.Join(bad, "\n    "))
		return res, nil
	}
	body, err := json.Marshal(map[string]any{"type": "bundle", "id": stixID("bundle", uuid5("bundle:"+ev.UUID+":"+now)), "objects": objects})
	if err != nil {
		return res, err
	}
	imp, err := intel.Import(ctx, db, who, bytes.NewReader(body))
	var ie *intel.ImportError
	switch {
	case errors.As(err, &ie):
		res.Held = 0
		res.Error = ie.Error()
		return res, nil
	case err != nil:
		return res, err
	}
	res.Imported = imp
	return res, nil
}

// ImportEvents imports each event in its own transaction; a refused event
// is reported and the rest goes on.
func ImportEvents(ctx context.Context, db *store.DB, who auth.Principal, events []*Event) (Result, error) {
	var out Result
	for _, ev := range events {
		r, err := ImportEvent(ctx, db, who, ev)
		if err != nil {
			return out, err
		}
		if r.Error != "" {
			out.Failed++
		}
		out.Events = append(out.Events, r)
	}
	return out, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d MiB", limit>>20)
	}
	return b, nil
}

func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > limit {
		return nil, fmt.Errorf("%d bytes, larger than %d MiB", st.Size(), limit>>20)
	}
	return readLimited(f, limit)
}

// ImportPath imports a MISP feed directory (manifest.json and its
// <uuid>.json events, as MISP's feed generator and PyMISP's to_feed write
// them; without a manifest, every *.json event file) or one event file.
// Each event is its own transaction; a malformed or too large event is
// refused with its error and the others go on.
func ImportPath(ctx context.Context, db *store.DB, who auth.Principal, path string) (Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Result{}, err
	}
	if !st.IsDir() {
		b, err := readFile(path, MaxEventBytes)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", path, err)
		}
		ev, err := ParseEvent(b)
		if err != nil {
			return Result{Events: []EventResult{{Event: filepath.Base(path), Error: err.Error()}}, Failed: 1}, nil
		}
		return ImportEvents(ctx, db, who, []*Event{ev})
	}
	var ids []string
	if b, err := readFile(filepath.Join(path, "manifest.json"), MaxManifestBytes); err == nil {
		m, err := ParseManifest(b)
		if err != nil {
			return Result{}, err
		}
		for id := range m {
			ids = append(ids, id)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		names, _ := filepath.Glob(filepath.Join(path, "*.json"))
		for _, n := range names {
			if id := strings.TrimSuffix(filepath.Base(n), ".json"); ValidUUID(id) {
				ids = append(ids, strings.ToLower(id))
			}
		}
	} else {
		return Result{}, fmt.Errorf("manifest.json: %w", err)
	}
	sort.Strings(ids)
	var out Result
	for _, id := range ids {
		r, err := importOne(ctx, db, who, id, func() ([]byte, error) {
			return readFile(filepath.Join(path, id+".json"), MaxEventBytes)
		})
		if err != nil {
			return out, err
		}
		if r.Error != "" {
			out.Failed++
		}
		out.Events = append(out.Events, r)
	}
	return out, nil
}

// importOne reads, parses and imports the event id; read and parse errors
// are the event's error.
func importOne(ctx context.Context, db *store.DB, who auth.Principal, id string, read func() ([]byte, error)) (EventResult, error) {
	b, err := read()
	if err != nil {
		return EventResult{Event: id, Error: "read: " + err.Error()}, nil
	}
	ev, err := ParseEvent(b)
	if err != nil {
		return EventResult{Event: id, Error: err.Error()}, nil
	}
	if !strings.EqualFold(ev.UUID, id) {
		return EventResult{Event: id, Error: fmt.Sprintf("the file holds event %s, not %s", ev.UUID, id)}, nil
	}
	return ImportEvent(ctx, db, who, ev)
}
