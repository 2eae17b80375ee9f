package decision

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// The bouncer side of CrowdSec's Local API, as its bouncers (go-cs-bouncer
// and the clients built like it) expect it:
//
//	GET|HEAD /v1/decisions/stream?startup=true|false&scopes=&origins=&scenarios_containing=&scenarios_not_containing=
//	GET|HEAD /v1/decisions?ip=&range=&scope=&value=&type=&contains=&origins=&scenarios_containing=&scenarios_not_containing=
//
// authenticated by the X-Api-Key header; anything else about the key is a
// 403 with {"message":"access forbidden"}. The bodies are byte for byte what
// CrowdSec writes: keys in CrowdSec's order, no trailing newline, and null
// (not []) for an empty list, which is what the bouncers were tested with.

// deletedRetention is how far back a startup pull is told of ended
// decisions, so a bouncer restarted with stale state (a firewall set that
// survived) drops what ended while it was away. CrowdSec keeps ended
// decisions until its flush (7 days by default) and sends them all.
const deletedRetention = 7 * 24 * time.Hour

// lastPullEvery bounds how often a live-mode query records the pull.
const lastPullEvery = time.Minute

// lapiDecision is CrowdSec's models.Decision as its bouncer endpoints fill
// it: id, origin, type, scope, value, duration (time left, Go's format,
// negative for an ended one) and scenario; simulated, until and uuid are
// left out there, so they are here.
type lapiDecision struct {
	Duration string `json:"duration"`
	ID       int64  `json:"id"`
	Origin   string `json:"origin"`
	Scenario string `json:"scenario"`
	Scope    string `json:"scope"`
	Type     string `json:"type"`
	Value    string `json:"value"`
}

// lapiStream is CrowdSec's stream response; a map there, so "deleted"
// comes before "new".
type lapiStream struct {
	Deleted []lapiDecision `json:"deleted"`
	New     []lapiDecision `json:"new"`
}

type lapi struct {
	db  *store.DB
	log *slog.Logger
}

// LAPI is the handler bouncers pull decisions from, serving
// /v1/decisions/stream and /v1/decisions (mount it at those paths, or at
// /v1/). It records each bouncer's last pull and keeps, per bouncer, how
// far its stream has read.
func LAPI(db *store.DB, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return &lapi{db: db, log: log}
}

func (h *lapi) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var stream bool
	switch r.URL.Path {
	case "/v1/decisions":
	case "/v1/decisions/stream":
		stream = true
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	b, err := bouncerByKey(ctx, h.db, r.Header.Get("X-Api-Key"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if b == nil {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "access forbidden"})
		return
	}
	if r.Method == http.MethodHead {
		// Nothing is read and the stream position stays: a HEAD must not
		// swallow the changes the next GET is owed (CrowdSec does the same).
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		return
	}
	f, err := parseFilter(r.URL.Query(), stream)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	if stream {
		h.stream(w, r, b, f)
	} else {
		h.decisions(w, r, b, f)
	}
}

func (h *lapi) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "bouncer API request failed", "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "internal error; it has been logged"})
}

// writeJSON writes v as CrowdSec's server does: compact, no trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// decisions answers a live-mode query: the active decisions matching it, or null.
func (h *lapi) decisions(w http.ResponseWriter, r *http.Request, b *puller, f lapiFilter) {
	ctx := r.Context()
	now := store.Now()
	cond, args := f.sql()
	list, err := h.query(ctx, `d.status = 'active' AND d.until > ? AND `+cond, append([]any{now}, args...), now)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if writeJSON(w, http.StatusOK, list) != nil {
		return
	}
	// A live-mode bouncer asks on every request it screens; record the
	// pull at most once a minute so that screening does not write.
	if b.lastPullAt == nil || now.Sub(*b.lastPullAt) >= lastPullEvery || b.lastPullIP != clientIP(r) || b.userAgent != userAgent(r) {
		if _, err := h.db.Exec(ctx, `UPDATE bouncers SET last_pull_at = ?, last_pull_ip = ?, user_agent = ? WHERE id = ?`,
			now, clientIP(r), userAgent(r), b.id); err != nil {
			h.log.WarnContext(ctx, "record bouncer pull", "bouncer", b.name, "err", err)
		}
	}
}

// stream answers a stream pull. startup=true gives every active decision
// as new, and the decisions that ended in the last week as deleted; other
// pulls give what changed since this bouncer's previous pull: decisions
// that became active or were extended, and decisions revoked or expired
// since then. Each change is counted once: the position is the decision
// clock for changes and the previous pull's time for expiries, both moved
// only after the answer was written.
func (h *lapi) stream(w http.ResponseWriter, r *http.Request, b *puller, f lapiFilter) {
	ctx := r.Context()
	seq, err := clock(ctx, h.db)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := store.Now()
	cond, fargs := f.sql()
	// A value with an active decision of the same type is not deleted: the
	// bouncer would drop a block it must keep.
	const stillActive = ` AND NOT EXISTS (SELECT 1 FROM decisions a WHERE a.value = d.value AND a.type = d.type AND a.status = 'active' AND a.until > ?)`
	var out lapiStream
	if r.URL.Query().Get("startup") == "true" {
		if out.New, err = h.query(ctx, `d.status = 'active' AND d.until > ? AND `+cond, append([]any{now}, fargs...), now); err != nil {
			h.fail(w, r, err)
			return
		}
		// The firewall bouncer flushes its sets when it starts, so CrowdSec
		// spares it the list of ended decisions; so does Garda.
		if kind, _, _ := strings.Cut(r.UserAgent(), "/"); kind != "crowdsec-firewall-bouncer" {
			since := now.Add(-deletedRetention)
			args := append([]any{now, since, since}, fargs...)
			if out.Deleted, err = h.query(ctx, `((d.status = 'active' AND d.until <= ? AND d.until > ?) OR (d.status = 'revoked' AND d.ended_at > ?)) AND `+
				cond+stillActive, append(args, now), now); err != nil {
				h.fail(w, r, err)
				return
			}
		}
	} else {
		args := append([]any{now, b.streamSeq, seq}, fargs...)
		if out.New, err = h.query(ctx, `d.status = 'active' AND d.until > ? AND d.seq > ? AND d.seq <= ? AND `+cond, args, now); err != nil {
			h.fail(w, r, err)
			return
		}
		args = append([]any{b.streamAt, now, b.streamSeq, seq}, fargs...)
		if out.Deleted, err = h.query(ctx, `((d.status = 'active' AND d.until > ? AND d.until <= ?) OR (d.status = 'revoked' AND d.seq > ? AND d.seq <= ?)) AND `+
			cond+stillActive, append(args, now), now); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := writeJSON(w, http.StatusOK, out); err != nil {
		h.log.WarnContext(ctx, "bouncer stream not delivered; its position stays", "bouncer", b.name, "err", err)
		return
	}
	// The position never moves back, so a pull served by an instance whose
	// clock lags repeats nothing and skips nothing.
	streamAt := now
	if b.streamAt.After(now) {
		streamAt = b.streamAt
	}
	if _, err := h.db.Exec(ctx, `UPDATE bouncers SET stream_seq = ?, stream_at = ?, last_pull_at = ?, last_pull_ip = ?, user_agent = ?
		WHERE id = ? AND stream_seq <= ?`, seq, streamAt, now, clientIP(r), userAgent(r), b.id, seq); err != nil {
		h.log.ErrorContext(ctx, "record bouncer stream position", "bouncer", b.name, "err", err)
	}
}

// query lists decisions in the LAPI shape, oldest first; nil when none.
func (h *lapi) query(ctx context.Context, where string, args []any, now time.Time) ([]lapiDecision, error) {
	rows, err := h.db.Query(ctx, `SELECT d.id, d.origin, `+lapiScenario+`, d.scope, d.type, d.value, d.status, d.until, d.ended_at
		FROM decisions d WHERE `+where+` ORDER BY d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("query decisions for a bouncer: %w", err)
	}
	defer rows.Close()
	var out []lapiDecision
	wall := time.Now()
	for rows.Next() {
		var d lapiDecision
		var status string
		var until, ended *time.Time
		if err := rows.Scan(&d.ID, &d.Origin, &d.Scenario, &d.Scope, &d.Type, &d.Value, &status, &until, &ended); err != nil {
			return nil, err
		}
		end := now
		if until != nil {
			end = *until
		}
		if status == string(Revoked) && ended != nil {
			end = *ended // CrowdSec ends a deleted decision by setting its until to now
		}
		d.Duration = end.Sub(wall).String()
		out = append(out, d)
	}
	return out, rows.Err()
}

// lapiScenario is a decision's scenario as bouncers see it: the detection
// scenario, or for a person's decision its reason (as CrowdSec shows a
// cscli decision's reason there).
const lapiScenario = `COALESCE(NULLIF(d.scenario, ''), d.reason)`

// lapiFilter is a bouncer's query.
type lapiFilter struct {
	scopes        []string
	origins       []string
	containing    []string
	notContaining []string
	typ, value    string
	target        *Target
	contains      bool
}

// parseFilter reads the query parameters CrowdSec's bouncer endpoints
// take. A stream without scopes gets decisions on IPs and ranges only, as
// CrowdSec's does.
func parseFilter(q map[string][]string, stream bool) (lapiFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := lapiFilter{contains: true}
	if v, ok := q["scopes"]; ok {
		f.scopes = splitScopes(v[0])
	} else if stream {
		f.scopes = []string{ScopeIP, ScopeRange}
	}
	if !stream {
		if s := get("scope"); s != "" {
			f.scopes = splitScopes(s)
		}
		f.typ, f.value = get("type"), get("value")
		if s := get("contains"); s != "" {
			c, err := strconv.ParseBool(s)
			if err != nil {
				return f, fmt.Errorf("invalid contains value : %v", err)
			}
			f.contains = c
		}
		for _, k := range []string{"ip", "range"} {
			if s := get(k); s != "" {
				t, err := ParseTarget(s)
				if err != nil {
					return f, fmt.Errorf("unable to convert '%s' to int: invalid address: invalid ip address / range", s)
				}
				f.target = &t
			}
		}
	}
	f.origins = splitWords(get("origins"))
	f.containing = splitWords(get("scenarios_containing"))
	f.notContaining = splitWords(get("scenarios_not_containing"))
	return f, nil
}

func splitWords(s string) []string {
	var out []string
	for _, w := range strings.Split(s, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// splitScopes maps ip and range to CrowdSec's spelling, whatever the case,
// and keeps other scopes as given.
func splitScopes(s string) []string {
	out := splitWords(s)
	for i, sc := range out {
		switch strings.ToLower(sc) {
		case "ip":
			out[i] = ScopeIP
		case "range":
			out[i] = ScopeRange
		}
	}
	return out
}

// likeEscape makes a word safe inside LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s))
}

// sql is the filter as a WHERE fragment over decisions d.
func (f lapiFilter) sql() (string, []any) {
	where := []string{"1 = 1"}
	var args []any
	if f.scopes != nil {
		where = append(where, `d.scope IN (`+store.In(len(f.scopes))+`)`)
		for _, s := range f.scopes {
			args = append(args, s)
		}
	}
	if len(f.origins) > 0 {
		where = append(where, `d.origin IN (`+store.In(len(f.origins))+`)`)
		for _, o := range f.origins {
			args = append(args, o)
		}
	}
	if len(f.containing) > 0 {
		var or []string
		for _, w := range f.containing {
			or, args = append(or, `LOWER(`+lapiScenario+`) LIKE ? ESCAPE '\'`), append(args, "%"+likeEscape(w)+"%")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	for _, w := range f.notContaining {
		where, args = append(where, `LOWER(`+lapiScenario+`) NOT LIKE ? ESCAPE '\'`), append(args, "%"+likeEscape(w)+"%")
	}
	if f.typ != "" {
		where, args = append(where, "d.type = ?"), append(args, f.typ)
	}
	if f.value != "" {
		v := f.value
		if t, err := ParseTarget(v); err == nil {
			v = t.String()
		}
		where, args = append(where, "d.value = ?"), append(args, v)
	}
	if f.target != nil {
		start, end := f.target.bounds()
		if f.contains {
			// Decisions holding the whole of the asked address or range.
			where, args = append(where, "d.ip_size = ? AND d.start_ip <= ? AND d.end_ip >= ?"), append(args, f.target.size(), start, end)
		} else {
			// Decisions lying inside the asked range.
			where, args = append(where, "d.ip_size = ? AND d.start_ip >= ? AND d.end_ip <= ?"), append(args, f.target.size(), start, end)
		}
	}
	return strings.Join(where, " AND "), args
}

// clientIP is the address the pull came from (the peer: Garda does not
// trust forwarding headers for this).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	return ua
}
