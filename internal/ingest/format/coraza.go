package format

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/stamp"
)

var (
	errCorazaEmpty  = errors.New("coraza: no transaction client or request")
	errCorazaClient = reject(BadClientAddress, "coraza: client_ip is not an address")
)

// Coraza is a WAF's JSON audit log, one transaction per line, in any of
// the three shapes met in the field:
//
//   - Coraza v3 (SecAuditLogFormat JSON): {"transaction":{"timestamp",
//     "unix_timestamp","client_ip","request":{"method","uri","protocol",
//     "headers":{"user-agent":[..]}},"response":{"status"}},
//     "messages":[{"message","error_message","data":{"id","msg"}}]}
//   - ModSecurity v3: {"transaction":{"client_ip","time_stamp",
//     "request":{"method","http_version","uri","headers":{"User-Agent":..}},
//     "response":{"http_code"},"messages":[{"message","details":{"ruleId"}}]}}
//   - Coraza's JSON legacy: {"transaction":{"time","remote_address"},
//     "request":{"request_line","headers"},"response":{"status"},
//     "audit_data":{"messages":["... [id \"942100\"] [msg \"..\"]"]}}
//
// Fields: source.ip, the HTTP request fields (method, url.*, http.version,
// user_agent.original, http.request.referrer, url.domain from Host),
// http.response.status_code, rule.id (the matched rules' ids, comma-
// separated, in order, once each, at most 64), message (their messages,
// "; "-joined), @timestamp (unix_timestamp; else the text stamp, read as UTC because
// neither WAF logs a zone), event.category intrusion_detection,
// event.action waf_match, event.outcome from the status; dataset
// coraza.audit. A status of 0 (an interrupted transaction's) is absent.
type Coraza struct{}

// Name is "coraza".
func (Coraza) Name() string { return "coraza" }

// Parse parses one audit log entry.
func (Coraza) Parse(line []byte, ev *event.Event) error {
	ev.Reset()
	if len(line) == 0 {
		return errEmpty
	}
	s := string(line)
	var sc jsonScanner
	sc.init(s)
	var (
		ids, msgs         []string
		dataMsgs, logMsgs []string
		stampText, asc    string
		unixNano          int
		haveUnix          bool
		status            string
	)
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
		path := sc.pathBytes()
		if h, ok := cutHeader(path); ok {
			v := leaf.text()
			var f event.Field
			switch {
			case bytes.EqualFold(h, []byte("user-agent")):
				f = event.UserAgent
			case bytes.EqualFold(h, []byte("referer")):
				f = event.Referrer
			case bytes.EqualFold(h, []byte("host")):
				f = event.URLDomain
			default:
				continue
			}
			if ev.Get(f) == "" { // a header's first value
				ev.Set(f, v)
			}
			continue
		}
		switch string(path) {
		case "transaction.client_ip", "transaction.remote_address":
			a, text, ok := parseIP(leaf.text())
			if !ok {
				return errCorazaClient
			}
			ev.IP = a
			ev.Set(event.SourceIP, text)
		case "transaction.unix_timestamp":
			unixNano, haveUnix = atoi(leaf.raw)
		case "transaction.timestamp", "transaction.time":
			stampText = leaf.text()
		case "transaction.time_stamp":
			asc = leaf.text()
		case "transaction.request.method":
			ev.Set(event.HTTPMethod, leaf.text())
		case "transaction.request.uri":
			setURL(ev, leaf.text())
		case "transaction.request.protocol":
			if v, ok := strings.CutPrefix(leaf.text(), "HTTP/"); ok && v != "" {
				ev.Set(event.HTTPVersion, v)
			}
		case "transaction.request.http_version":
			if v := strings.TrimPrefix(leaf.text(), "HTTP/"); v != "" && ev.Get(event.HTTPVersion) == "" {
				ev.Set(event.HTTPVersion, v)
			}
		case "request.request_line":
			setRequest(ev, leaf.text())
		case "transaction.response.status", "transaction.response.http_code", "response.status":
			status = leaf.raw
		case "messages.message", "transaction.messages.message":
			msgs = appendNew(msgs, leaf.text())
		case "messages.data.msg":
			dataMsgs = appendNew(dataMsgs, leaf.text())
		case "messages.data.id", "transaction.messages.details.ruleId":
			if v := leaf.text(); v != "0" {
				ids = appendNew(ids, v)
			}
		case "messages.error_message", "audit_data.messages":
			v := leaf.text()
			ids = appendNew(ids, bracketed(v, `[id "`))
			logMsgs = appendNew(logMsgs, bracketed(v, `[msg "`))
		}
	}
	if ev.Get(event.SourceIP) == "" && ev.Get(event.URLOriginal) == "" {
		return errCorazaEmpty
	}
	ev.Dataset = "coraza.audit"
	ev.Set(event.EventCategory, "intrusion_detection")
	ev.Set(event.EventAction, "waf_match")
	if n, ok := atoi(status); ok && n > 0 {
		setStatus(ev, status)
	}
	switch {
	case haveUnix && unixNano > 0:
		ev.Time = time.Unix(0, int64(unixNano)).UTC()
	case stampText != "":
		if t, err := time.Parse("2006/01/02 15:04:05", stampText); err == nil {
			ev.Time = t
		} else if t, ok := stamp.RFC3339(stampText); ok {
			ev.Time = t
		}
	case asc != "":
		if t, err := time.Parse(time.ANSIC, strings.TrimSpace(asc)); err == nil {
			ev.Time = t
		}
	}
	if len(msgs) == 0 {
		msgs = dataMsgs
	}
	if len(msgs) == 0 {
		msgs = logMsgs
	}
	ev.Set(event.RuleID, strings.Join(ids, ","))
	ev.Set(event.Message, strings.Join(msgs, "; "))
	return nil
}

// cutHeader returns the header name of a request header's path:
// "transaction.request.headers.User-Agent" (Coraza, ModSecurity) or
// "request.headers.User-Agent" (legacy).
func cutHeader(path []byte) ([]byte, bool) {
	for _, prefix := range [...]string{"transaction.request.headers.", "request.headers."} {
		if bytes.HasPrefix(path, []byte(prefix)) {
			return path[len(prefix):], true
		}
	}
	return nil, false
}

// bracketed finds a ModSecurity-style `[name "value"]` in s, given its
// opening `[name "`, and returns value ("" when absent).
func bracketed(s, open string) string {
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	s = s[i+len(open):]
	if end := strings.Index(s, `"]`); end >= 0 {
		return s[:end]
	}
	return ""
}

// maxMatches bounds the rule ids and messages kept from one entry: CRS
// rarely matches a score of rules on one request, and a hostile line of a
// megabyte must not make the de-duplication quadratic.
const maxMatches = 64

// appendNew appends v unless it is empty or already there.
func appendNew(list []string, v string) []string {
	if v == "" || len(list) >= maxMatches || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
