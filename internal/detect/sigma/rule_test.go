package sigma

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

const fullRule = `
title: Suspicious Thing
id: 7f3c2f8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f
name: suspicious_thing
related:
    - id: 0e5f9c1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a
      type: derived
status: test
description: Detects a thing.
license: DRL-1.1
references:
    - https://example.org/a
author: Someone, Someone Else
date: 2024-01-02
modified: 2024-03-04
tags:
    - attack.initial-access
    - attack.t1190
    - attack.t1071.001
    - attack.T1190
    - cve.2021-44228
logsource:
    category: webserver
    product: nginx
    service: access
    definition: 'Requirements: access logs'
detection:
    selection:
        cs-uri-query|contains: 'union select'
    condition: selection
fields:
    - c-ip
falsepositives:
    - Scanners
level: high
`

func TestParseRule(t *testing.T) {
	r, err := Parse([]byte(fullRule), "rules/thing.yml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ got, want string }{
		{r.Title, "Suspicious Thing"},
		{r.ID, "7f3c2f8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"},
		{r.Name, "suspicious_thing"},
		{r.Status, "test"},
		{r.Description, "Detects a thing."},
		{r.License, "DRL-1.1"},
		{r.Author, "Someone, Someone Else"},
		{r.Date, "2024-01-02"},
		{r.Modified, "2024-03-04"},
		{r.Level, "high"},
		{r.Logsource.Category, "webserver"},
		{r.Logsource.Product, "nginx"},
		{r.Logsource.Service, "access"},
		{r.Logsource.Definition, "Requirements: access logs"},
		{r.Source, "rules/thing.yml"},
		{strings.Join(r.References, ","), "https://example.org/a"},
		{strings.Join(r.Fields, ","), "c-ip"},
		{strings.Join(r.FalsePositives, ","), "Scanners"},
		{strings.Join(r.Techniques, ","), "T1190,T1071.001"},
		{fmt.Sprint(len(r.Tags)), "5"},
		{r.Related[0].ID + "/" + r.Related[0].Type, "0e5f9c1a-2b3c-4d5e-8f9a-0b1c2d3e4f5a/derived"},
		{strings.Join(r.Detection.Conditions, ","), "selection"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	fc := r.Detection.Searches[0].Items[0].Conds[0]
	if fc.Field != "cs-uri-query" || !slices.Equal(fc.Modifiers, []string{"contains"}) || fc.Values[0].Text != "union select" {
		t.Errorf("field condition = %+v", fc)
	}
}

func TestParseValueKinds(t *testing.T) {
	r, err := Parse([]byte(ruleWith(`
    sel:
        a: 200
        b: 1.5
        c: true
        d: null
        e: '200'
        f: ''
    condition: sel`)), "kinds.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{{KindNumber, "200"}, {KindNumber, "1.5"}, {KindBool, "true"}, {KindNull, ""}, {KindString, "200"}, {KindString, ""}}
	for i, c := range r.Detection.Searches[0].Items[0].Conds {
		if c.Values[0] != want[i] {
			t.Errorf("%s: got %+v, want %+v", c.Field, c.Values[0], want[i])
		}
	}
}

// ruleWith wraps a detection body in a minimal rule.
func ruleWith(detection string) string {
	return "title: t\nlogsource:\n    category: webserver\ndetection:" + detection + "\n"
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"bad yaml", "title: [unclosed\n", "bad YAML"},
		{"not a mapping", "- a\n- b\n", "must be a YAML mapping"},
		{"empty", "", "empty file"},
		{"two documents", ruleWith("\n    s:\n        a: b\n    condition: s") + "---\ntitle: x\n", "several YAML documents"},
		{"missing title", "logsource:\n    category: x\ndetection:\n    s:\n        a: b\n    condition: s\n", "missing title"},
		{"missing logsource", "title: t\ndetection:\n    s:\n        a: b\n    condition: s\n", "missing logsource"},
		{"missing detection", "title: t\nlogsource:\n    category: x\n", "missing detection"},
		{"missing condition", ruleWith("\n    s:\n        a: b"), "missing condition"},
		{"no searches", ruleWith("\n    condition: s"), "no search identifiers"},
		{"unknown identifier", ruleWith("\n    s:\n        a: b\n    condition: s and filter"), `unknown search identifier "filter"`},
		{"unknown modifier", ruleWith("\n    s:\n        a|contain: b\n    condition: s"), `unknown modifier "contain"`},
		{"empty modifier", ruleWith("\n    s:\n        a||contains: b\n    condition: s"), "empty modifier"},
		{"time modifier", ruleWith("\n    s:\n        a|hour: 3\n    condition: s"), "unsupported modifier"},
		{"conflicting position", ruleWith("\n    s:\n        a|contains|startswith: b\n    condition: s"), "conflicting modifiers"},
		{"conflicting type", ruleWith("\n    s:\n        a|re|cidr: b\n    condition: s"), "conflicting modifiers"},
		{"re with contains", ruleWith("\n    s:\n        a|re|contains: b\n    condition: s"), "re cannot be combined with contains"},
		{"i without re", ruleWith("\n    s:\n        a|i: b\n    condition: s"), "need re"},
		{"bad regex", ruleWith("\n    s:\n        a|re: '(?<=x)y'\n    condition: s"), "regular expression"},
		{"bad cidr", ruleWith("\n    s:\n        a|cidr: 10.0.0.0/33\n    condition: s"), "cidr"},
		{"gt not a number", ruleWith("\n    s:\n        a|gt: many\n    condition: s"), "needs a number"},
		{"exists not a bool", ruleWith("\n    s:\n        a|exists: maybe\n    condition: s"), "true or false"},
		{"base64 of wildcard", ruleWith("\n    s:\n        a|contains|base64: b\n    condition: s"), "cannot encode a value with wildcards"},
		{"keyword cidr", ruleWith("\n    s:\n        '|cidr': 10.0.0.0/8\n    condition: s"), "keyword search cannot use cidr"},
		{"empty search", ruleWith("\n    s:\n    condition: s"), `search "s": is empty`},
		{"empty list", ruleWith("\n    s: []\n    condition: s"), "empty list"},
		{"mixed list", ruleWith("\n    s:\n        - a: b\n        - plain\n    condition: s"), "mixes maps and plain values"},
		{"nested values", ruleWith("\n    s:\n        a:\n            - [x, y]\n    condition: s"), "plain values"},
		{"duplicate key", ruleWith("\n    s:\n        a: b\n        a: c\n    condition: s"), "defined twice"},
		{"duplicate search", ruleWith("\n    s:\n        a: b\n    s:\n        a: c\n    condition: s"), "defined twice"},
		{"aggregation", ruleWith("\n    s:\n        a: b\n    condition: s | count() by c-ip > 10"), "unsupported: the deprecated aggregation"},
		{"near", ruleWith("\n    s:\n        a: b\n    t:\n        a: c\n    condition: s near t"), "unsupported: the deprecated near"},
		{"pattern matches nothing", ruleWith("\n    s:\n        a: b\n    condition: 1 of filter_*"), "matches no search identifier"},
		{"two of", ruleWith("\n    s:\n        a: b\n    condition: 2 of s*"), "only 1 of, any of and all of"},
		{"dangling and", ruleWith("\n    s:\n        a: b\n    condition: s and"), "unexpected end"},
		{"unbalanced", ruleWith("\n    s:\n        a: b\n    condition: (s"), "missing )"},
		{"bare pattern", ruleWith("\n    s:\n        a: b\n    condition: s*"), "only allowed after 1 of"},
		{"bad level", strings.Replace(ruleWith("\n    s:\n        a: b\n    condition: s"), "title: t\n", "title: t\nlevel: severe\n", 1), `level "severe"`},
		{"correlation", "title: t\ncorrelation:\n    type: event_count\n", "correlation rules are not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text), "rules/bad.yml")
			if err == nil {
				t.Fatalf("parsed; want an error containing %q", c.want)
			}
			if !strings.HasPrefix(err.Error(), "rules/bad.yml: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want the file name and %q", err, c.want)
			}
		})
	}
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/a.yml":         {Data: []byte(ruleWith("\n    s:\n        a: b\n    condition: s"))},
		"rules/sub/b.yaml":    {Data: []byte(ruleWith("\n    s:\n        a: c\n    condition: s"))},
		"rules/sub/bad.yml":   {Data: []byte(ruleWith("\n    s:\n        a|nope: c\n    condition: s"))},
		"rules/sub/worse.yml": {Data: []byte("title: [")},
		"rules/readme.md":     {Data: []byte("not a rule")},
	}
	rules, err := LoadFS(fsys, "rules")
	if len(rules) != 2 {
		t.Errorf("loaded %d rules, want 2", len(rules))
	}
	if err == nil {
		t.Fatal("no error for the two bad files")
	}
	for _, want := range []string{"rules/sub/bad.yml: detection", `unknown modifier "nope"`, "rules/sub/worse.yml: bad YAML"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 2 {
		t.Errorf("want two joined errors, got %v", err)
	}
}

func TestTechniques(t *testing.T) {
	got := techniques([]string{"attack.t1190", "attack.T1059.001", "attack.execution", "attack.t1190", "car.2016-04-005", "attack.t12"})
	if want := []string{"T1190", "T1059.001"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
