package format

import (
	"errors"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/stamp"
)

var (
	errJSONTime   = reject(BadTime, "json: bad @timestamp")
	errJSONEmpty  = errors.New("json: no ECS field")
	errJSONClient = reject(BadClientAddress, "json: source.ip or client.ip is not an address")
)

// JSON is JSON lines with ECS field names, nested ({"source":{"ip":..}})
// or dotted ({"source.ip":..}) alike: every field of event.Event by its
// ECS name, @timestamp (RFC 3339, or a number of epoch milliseconds) and
// event.dataset (default "json"). Unknown fields are ignored; an array of
// values is joined with commas (up to about 4 KiB). source.ip falls back
// to client.ip, host.hostname to host.name. A url.original without
// url.path is cut into path, query and extension; an absent event.outcome
// follows the status, and a line with an HTTP method is event.category
// web, event.action http_request unless it says otherwise. A source.ip or
// status that is not one is dropped; a source.ip or client.ip that is not
// an address, a bad @timestamp, or no field Garda knows rejects the line.
type JSON struct{}

// Name is "json".
func (JSON) Name() string { return "json" }

// maxJoined bounds a field joined from an array's values.
const maxJoined = 4 << 10

// jsonSlot is where a JSON leaf goes.
type jsonSlot uint8

const (
	slotField jsonSlot = iota
	slotTime
	slotDataset
	slotClientIP
	slotHostName
)

type jsonTarget struct {
	slot  jsonSlot
	field event.Field
}

// jsonTargets maps ECS names to slots; built once, then only read.
var jsonTargets = func() map[string]jsonTarget {
	m := map[string]jsonTarget{
		"@timestamp":    {slot: slotTime},
		"event.dataset": {slot: slotDataset},
		"client.ip":     {slot: slotClientIP},
		"host.name":     {slot: slotHostName},
	}
	for f := event.Field(0); int(f) < event.NumFields; f++ {
		m[f.ECS()] = jsonTarget{slot: slotField, field: f}
	}
	return m
}()

// Parse parses one JSON object.
func (JSON) Parse(line []byte, ev *event.Event) error {
	ev.Reset()
	if len(line) == 0 {
		return errEmpty
	}
	s := string(line)
	var sc jsonScanner
	sc.init(s)
	var clientIP, hostName string
	for {
		leaf, err := sc.next()
		if err != nil {
			return err
		}
		if leaf.kind == jsonEnd {
			break
		}
		if leaf.kind == jsonNull {
			continue
		}
		t, ok := jsonTargets[string(sc.pathBytes())]
		if !ok {
			continue
		}
		v := leaf.text()
		switch t.slot {
		case slotTime:
			if ev.Time, ok = jsonTime(leaf.kind, v); !ok {
				return errJSONTime
			}
		case slotDataset:
			ev.Dataset = v
		case slotClientIP:
			clientIP = v
		case slotHostName:
			hostName = v
		case slotField:
			switch t.field {
			case event.SourceIP:
				a, text, ok := parseIP(v)
				if !ok {
					return errJSONClient
				}
				ev.IP = a
				ev.Set(event.SourceIP, text)
			case event.StatusCode:
				if n, ok := atoi(v); ok && n <= 999 {
					ev.Status = n
					ev.Set(event.StatusCode, v)
				}
			default:
				if old := ev.Get(t.field); leaf.inArray && old != "" {
					if len(old) > maxJoined {
						continue // a hostile array: joining it all would be quadratic
					}
					v = old + "," + v
				}
				ev.Set(t.field, v)
			}
		}
	}
	if ev.Time.IsZero() && ev.Dataset == "" && clientIP == "" && hostName == "" && !anyField(ev) {
		return errJSONEmpty
	}
	if ev.Get(event.SourceIP) == "" && clientIP != "" {
		a, text, ok := parseIP(clientIP)
		if !ok {
			return errJSONClient
		}
		ev.IP = a
		ev.Set(event.SourceIP, text)
	}
	if ev.Get(event.HostName) == "" {
		ev.Set(event.HostName, hostName)
	}
	if ev.Dataset == "" {
		ev.Dataset = "json"
	}
	if orig := ev.Get(event.URLOriginal); orig != "" && ev.Get(event.URLPath) == "" {
		q, x := ev.Get(event.URLQuery), ev.Get(event.URLExtension)
		setURL(ev, orig)
		if q != "" {
			ev.Set(event.URLQuery, q)
		}
		if x != "" {
			ev.Set(event.URLExtension, x)
		}
	} else if p := ev.Get(event.URLPath); p != "" && ev.Get(event.URLExtension) == "" {
		setExtension(ev, p)
	}
	if ev.Get(event.EventOutcome) == "" && ev.Status > 0 {
		setOutcome(ev)
	}
	if ev.Get(event.HTTPMethod) != "" {
		if ev.Get(event.EventCategory) == "" {
			ev.Set(event.EventCategory, "web")
		}
		if ev.Get(event.EventAction) == "" {
			ev.Set(event.EventAction, "http_request")
		}
	}
	return nil
}

// jsonTime reads @timestamp: an RFC 3339 string or epoch milliseconds.
func jsonTime(kind jsonKind, v string) (time.Time, bool) {
	switch kind {
	case jsonString:
		return stamp.RFC3339(v)
	case jsonNumber:
		ms, frac, _ := strings.Cut(v, ".")
		n, ok := atoi(ms)
		if !ok || strings.ContainsAny(frac, "eE") {
			return time.Time{}, false
		}
		return time.UnixMilli(int64(n)).UTC(), true
	}
	return time.Time{}, false
}

func anyField(ev *event.Event) bool {
	for f := event.Field(0); int(f) < event.NumFields; f++ {
		if ev.Get(f) != "" {
			return true
		}
	}
	return false
}
