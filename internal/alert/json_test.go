package alert

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/policy"
)

// TestAppendJSON: AppendJSON writes what json.Marshal writes, for alerts
// with every field empty, set, and holding text JSON escapes.
func TestAppendJSON(t *testing.T) {
	// A field added to Alert or Evidence must be added to AppendJSON too.
	if n := reflect.TypeFor[Alert]().NumField(); n != 23 {
		t.Fatalf("Alert has %d fields, AppendJSON writes 23", n)
	}
	if n := reflect.TypeFor[Evidence]().NumField(); n != 4 {
		t.Fatalf("Evidence has %d fields, AppendJSON writes 4", n)
	}
	jakarta := time.FixedZone("WIB", 7*3600)
	odd := "a<b>&\"q\"\\ \n\t\x01 \u2028\u2029 é 日本 \xff\xfe end"
	var ascii []byte // every ASCII byte, each escape of AppendJSON's own
	for c := range 128 {
		ascii = append(ascii, 'x', byte(c))
	}
	alerts := []Alert{
		{},
		{RuleIDs: []string{}, Evidence: []Evidence{{Fields: map[string]string{}}}},
		{
			ID: 42, Scenario: "http-xss", Title: "Cross-site <scripting> & more", Severity: "high", Technique: "T1189",
			SourceIP: "100.64.0.3", UserName: string(ascii), AssetID: -7, Asset: "portal", Region: "ID-JK", Owner: "kominfo",
			TLP: policy.Amber, Status: New, StatusReason: odd, RuleIDs: []string{"941100", odd, ""}, Count: 3,
			FirstSeen: time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC), LastSeen: time.Date(2024, 2, 14, 1, 2, 3, 456789, jakarta),
			CreatedAt: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), UpdatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -9*3600-30*60)),
			Evidence: []Evidence{
				{Seq: 1, At: time.Date(2024, 2, 14, 0, 0, 0, 0, jakarta), Line: 3, Fields: map[string]string{"url.original": odd, "source.ip": "1.2.3.4", odd: "k", string(ascii): "/a?b=1&c=<x>"}},
				{Seq: 2, Fields: nil},
			},
			Priority: "critical", PriorityReason: odd,
		},
	}
	for i, a := range alerts {
		want, err := json.Marshal(&a)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := a.AppendJSON([]byte("prefix"))
		if !ok || string(got) != "prefix"+string(want) {
			t.Errorf("alert %d (ok %v):\n got %s\nwant prefix%s", i, ok, got, want)
		}
	}
	// Times json.Marshal refuses: AppendJSON says so.
	for _, at := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))} {
		for _, a := range []Alert{{LastSeen: at}, {Evidence: []Evidence{{At: at}}}} {
			if _, err := json.Marshal(&a); err == nil {
				t.Fatalf("json.Marshal took %v", at)
			}
			if _, ok := a.AppendJSON(nil); ok {
				t.Errorf("AppendJSON took %v", at)
			}
		}
	}
}
