package rules

import (
	"testing"

	"github.com/garda-id/garda/internal/detect/sigma"
)

// TestEveryRuleHasFamily: every shipped Sigma rule falls in a named family,
// so no page names one of their alerts by its English title or id alone.
func TestEveryRuleHasFamily(t *testing.T) {
	rs, err := sigma.LoadFS(Sigma(), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 100 {
		t.Fatalf("%d shipped rules", len(rs))
	}
	count := map[string]int{}
	for _, r := range rs {
		f := FamilyOf(r.Title)
		if f == FamilyOther {
			t.Errorf("rule %s %q has no family", r.ID, r.Title)
		}
		count[f]++
		if got, ok := ShippedFamily(r.ID); !ok || got != f {
			t.Errorf("ShippedFamily(%s) = %s, %v; want %s", r.ID, got, ok, f)
		}
	}
	if _, ok := ShippedFamily("not-a-rule"); ok {
		t.Error("a rule Garda does not ship has a family")
	}
	t.Logf("rules per family: %v", count)
}

func TestFamilyOf(t *testing.T) {
	for title, want := range map[string]string{
		"Cross Site Scripting Strings":                             FamilyXSS,
		"SQL Injection Strings In URI":                             FamilySQLi,
		"Grafana Path Traversal Exploitation CVE-2021-43798":       FamilyTraversal,
		"Pulse Connect Secure RCE Attack CVE-2021-22893":           FamilyCommand,
		"Source Code Enumeration Detection by Keyword":             FamilyRecon, // "rce" only as a word
		"CVE-2024-1709 - ScreenConnect Authentication Bypass":      FamilyAuthBypass,
		"MOVEit CVE-2023-34362 Exploitation - Potential Web Shell": FamilyWebshell,
		"Oracle WebLogic Exploit":                                  FamilyExploit,
		"Suspicious Base64 Encoded User-Agent":                     FamilyUserAgent,
		"A rule of someone's own":                                  FamilyOther,
	} {
		if got := FamilyOf(title); got != want {
			t.Errorf("FamilyOf(%q) = %s, want %s", title, got, want)
		}
	}
}
