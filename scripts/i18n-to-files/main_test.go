package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/web/locale"
)

func write(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "messages")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(out, "scan.id.json"), "{\n  \"scan.old\": \"Lama\",\n  \"scan.title\": \"Pindai\"\n}\n")
	write(t, filepath.Join(out, "scan.en.json"), "{\n  \"scan.old\": \"Old\",\n  \"scan.title\": \"Scan\"\n}\n")
	write(t, filepath.Join(out, "core.id.json"), `{"nav.overview": "Ikhtisar"}`)
	gofile := filepath.Join(dir, "i18n_scan.go")
	write(t, gofile, `package web

// scanMessages are the scans' strings.
var scanMessages = map[string]msg{
	"scan.title": {"Pemindaian", "Scans"},
	"scan.found": {"%d temuan " + "baru", msg{en: "%d new findings", id: "x"}.en},
	"scan.run":   msg{id: "Jalankan", en: "Run"},
}
`)
	if _, err := readGoFile(gofile); err == nil || !strings.Contains(err.Error(), `key "scan.found"`) {
		t.Fatalf("a text that is no literal: %v, want an error naming the key", err)
	}
	write(t, gofile, `package web

var scanMessages = map[string]msg{
	"scan.title": {"Pemindaian", "Scans"},
	"scan.found": {"%d temuan " + "baru", "%d new findings"},
	"scan.run":   msg{en: "Run", id: "Jalankan"},
}
`)
	sets, err := readGoFile(gofile)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 || sets[0].area != "scan" || len(sets[0].entries) != 3 {
		t.Fatalf("sets = %+v", sets)
	}
	files, report, err := convert(out, sets)
	if err != nil {
		t.Fatal(err)
	}
	if len(report) != 1 || !strings.Contains(report[0], "scan: 3 keys, 2 added, 2 texts changed, 0 already in other areas") {
		t.Errorf("report = %q", report)
	}
	en, err := locale.Parse(files[filepath.Join(out, "scan.en.json")])
	if err != nil {
		t.Fatal(err)
	}
	want := []locale.Entry{{Key: "scan.old", Text: "Old"}, {Key: "scan.title", Text: "Scans"}, {Key: "scan.found", Text: "%d new findings"}, {Key: "scan.run", Text: "Run"}}
	if len(en) != len(want) {
		t.Fatalf("en = %+v, want %+v", en, want)
	}
	for i := range want {
		if en[i] != want[i] {
			t.Errorf("en[%d] = %+v, want %+v", i, en[i], want[i])
		}
	}
	if id := string(files[filepath.Join(out, "scan.id.json")]); !strings.Contains(id, `"scan.found": "%d temuan baru"`) || !strings.Contains(id, `"scan.run": "Jalankan"`) {
		t.Errorf("id file:\n%s", id)
	}

	// A key another area already defines with the same words is skipped
	// (a branch's copy of a map whose keys have moved); with other words it
	// stops the run.
	write(t, filepath.Join(out, "core.en.json"), `{"nav.overview": "Overview"}`)
	sets[0].entries = append(sets[0].entries, pair{"nav.overview", "Ikhtisar", "Overview"})
	files, report, err = convert(out, sets)
	if err != nil || len(report) != 1 || !strings.Contains(report[0], "1 already in other areas") {
		t.Fatalf("convert = %q, %v", report, err)
	}
	if strings.Contains(string(files[filepath.Join(out, "scan.id.json")]), "nav.overview") {
		t.Error("a key of area core was copied into area scan")
	}
	sets[0].entries[len(sets[0].entries)-1].en = "Summary"
	if _, _, err := convert(out, sets); err == nil || !strings.Contains(err.Error(), `"nav.overview" of area scan is already defined by area core with other words (en: "Overview", here "Summary")`) {
		t.Errorf("convert = %v, want a refusal naming the key", err)
	}
}

func TestAreaFromVariable(t *testing.T) {
	dir := t.TempDir()
	gofile := filepath.Join(dir, "i18n.go")
	write(t, gofile, `package web

var coreMessages = map[string]msg{"a": {"A", "A"}}
var incidentWorkMessages = map[string]msg{"b": {"B", "B"}}
var other = map[string]string{"c": "C"}
`)
	sets, err := readGoFile(gofile)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 2 || sets[0].area != "core" || sets[1].area != "incident_work" {
		t.Errorf("sets = %+v", sets)
	}
}
