// Package stixcheck holds OASIS's yardsticks for the STIX Garda emits, for
// tests only: the STIX 2.1 JSON schemas (../shared/data/stix2-schemas)
// compiled with every schema under its $id, and OASIS's pattern validator
// (../shared/clients/stix2-patterns) run in one Debian python3 process.
// Nothing outside tests imports it, so the schemas stay out of the binary.
package stixcheck

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// Shared finds ../shared from the working directory (a package directory
// of the repository, or a worktree beside /work/shared), or skips t.
func Shared(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		cand := filepath.Join(filepath.Dir(d), "shared")
		if _, err := os.Stat(filepath.Join(cand, "data", "stix2-schemas", "schemas")); err == nil {
			return cand
		}
	}
	t.Skip("needs ../shared/data/stix2-schemas (OASIS STIX 2.1 JSON schemas) beside the repository")
	return ""
}

var (
	once    sync.Once
	schemas map[string]*jsonschema.Schema
	loadErr error
)

// Schemas compiles every STIX 2.1 schema once, keyed by object type.
func Schemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	root := filepath.Join(Shared(t), "data", "stix2-schemas", "schemas")
	once.Do(func() { schemas, loadErr = compile(root) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return schemas
}

func compile(root string) (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var urls []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		url := schemaBase + filepath.ToSlash(rel)
		urls = append(urls, url)
		return c.AddResource(url, doc)
	})
	if err != nil {
		return nil, err
	}
	out := map[string]*jsonschema.Schema{}
	for _, url := range urls {
		s, err := c.Compile(url)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(filepath.Base(url), ".json")] = s
	}
	return out, nil
}

// Validate checks one object (or a bundle) against the schema of its type.
func Validate(t testing.TB, obj any) error {
	t.Helper()
	s := Schemas(t)
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	m, _ := doc.(map[string]any)
	typ, _ := m["type"].(string)
	sch := s[typ]
	if sch == nil {
		return fmt.Errorf("no OASIS schema for type %q", typ)
	}
	return sch.Validate(doc)
}

// Patterns runs OASIS's pattern validator over patterns in one process and
// returns "pattern: message" for each that fails; it skips t when the
// validator or its Debian packages are absent.
func Patterns(t testing.TB, patterns []string) []string {
	t.Helper()
	dir := filepath.Join(Shared(t), "clients", "stix2-patterns")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("needs ../shared/clients/stix2-patterns (OASIS's pattern validator)")
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import antlr4, dateutil, six").Run(); err != nil {
		t.Skip("needs Debian's python3 with python3-antlr4, python3-dateutil and python3-six (apt-get install them)")
	}
	const script = `
import json, sys
from stix2patterns.validator import run_validator
out = []
for p in json.load(sys.stdin):
    errs = run_validator(p, stix_version='2.1')
    if errs:
        out.append(p + ": " + "; ".join(errs))
json.dump(out, sys.stdout)
`
	in, _ := json.Marshal(patterns)
	cmd := exec.Command(py, "-c", script)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("pattern validator: %v\n%s", err, stderr.String())
	}
	var failures []string
	if err := json.Unmarshal(b, &failures); err != nil {
		t.Fatalf("pattern validator answered %q: %v", b, err)
	}
	return failures
}
