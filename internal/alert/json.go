package alert

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends the alert as encoding/json marshals it (the same
// bytes, HTML escaping included), without reflection: a replay prints
// every alert it raised, and on a hostile log (35,000 alerts, their
// evidence maps sorted key by key) json.Marshal was the run's serial tail.
// TestAppendJSON holds it to json.Marshal field by field. It reports false
// where json.Marshal fails (a time it cannot write).
func (a *Alert) AppendJSON(b []byte) ([]byte, bool) {
	ok := true
	stamp := func(key string, t time.Time) {
		var good bool
		b, good = appendTime(append(b, key...), t)
		ok = ok && good
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = appendKey(b, "scenario", a.Scenario)
	b = appendKey(b, "title", a.Title)
	b = appendKey(b, "severity", a.Severity)
	b = appendKey(b, "technique", a.Technique)
	b = appendKey(b, "source_ip", a.SourceIP)
	if a.UserName != "" {
		b = appendKey(b, "user_name", a.UserName)
	}
	if a.AssetID != 0 {
		b = append(b, `,"asset_id":`...)
		b = strconv.AppendInt(b, a.AssetID, 10)
	}
	if a.Asset != "" {
		b = appendKey(b, "asset", a.Asset)
	}
	b = appendKey(b, "region", a.Region)
	if a.Owner != "" {
		b = appendKey(b, "owner", a.Owner)
	}
	b = appendKey(b, "tlp", string(a.TLP))
	b = appendKey(b, "status", string(a.Status))
	if a.StatusReason != "" {
		b = appendKey(b, "status_reason", a.StatusReason)
	}
	b = append(b, `,"rule_ids":`...)
	if a.RuleIDs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range a.RuleIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, id)
		}
		b = append(b, ']')
	}
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, a.Count, 10)
	stamp(`,"first_seen":`, a.FirstSeen)
	stamp(`,"last_seen":`, a.LastSeen)
	// omitempty leaves a struct such as time.Time in.
	stamp(`,"created_at":`, a.CreatedAt)
	stamp(`,"updated_at":`, a.UpdatedAt)
	if len(a.Evidence) > 0 {
		b = append(b, `,"evidence":[`...)
		for i := range a.Evidence {
			if i > 0 {
				b = append(b, ',')
			}
			var good bool
			b, good = a.Evidence[i].appendJSON(b)
			ok = ok && good
		}
		b = append(b, ']')
	}
	b = appendKey(b, "priority", a.Priority)
	if a.PriorityReason != "" {
		b = appendKey(b, "priority_reason", a.PriorityReason)
	}
	return append(b, '}'), ok
}

func (e *Evidence) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, int64(e.Seq), 10)
	b, ok := appendTime(append(b, `,"at":`...), e.At)
	if e.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, e.Line, 10)
	}
	b = append(b, `,"fields":`...)
	if e.Fields == nil {
		b = append(b, "null"...)
	} else {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendString(b, k), ':')
			b = appendString(b, e.Fields[k])
		}
		b = append(b, '}')
	}
	return append(b, '}'), ok
}

// appendKey appends ,"key":"value" (key needs no escaping).
func appendKey(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes ASCII: quotes, backslashes, control characters, and <, > and &
// for HTML. Text outside ASCII (rare in a log line) goes through
// json.Marshal, which also replaces invalid UTF-8 and escapes U+2028 and
// U+2029.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// appendTime appends t as time.Time's MarshalJSON does, or reports false
// where MarshalJSON fails (a year outside 0-9999, a zone offset of a day
// or more), as it does.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	n0 := len(b) + 1
	b = t.AppendFormat(append(b, '"'), time.RFC3339Nano)
	if len(b) < n0+len("2006-01-02T15:04:05Z") || b[n0+4] != '-' {
		return b, false
	}
	if b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		if '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24 {
			return b, false
		}
	}
	return append(b, '"'), true
}
