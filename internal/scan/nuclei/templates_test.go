package nuclei

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestRealTemplatesLoad loads every template of ../shared/data/nuclei-templates
// (a sample of nuclei-templates, INDEX.tsv lists them): each loads or is
// refused with a named unsupported feature, and at least 90% of the http,
// ssl, dns and network ones load.
func TestRealTemplatesLoad(t *testing.T) {
	dir := sharedData(t, "nuclei-templates")
	f, err := os.Open(filepath.Join(dir, "INDEX.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type count struct{ total, ok int }
	counts := map[string]*count{}
	features := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			continue
		}
		path, proto, id := cols[0], cols[1], cols[2]
		c := counts[proto]
		if c == nil {
			c = &count{}
			counts[proto] = c
		}
		c.total++
		tpl, err := Load(filepath.Join(dir, path))
		if err == nil {
			if tpl.ID() != id {
				t.Errorf("%s: id %q, INDEX says %q", path, tpl.ID(), id)
			}
			c.ok++
			continue
		}
		var ue *UnsupportedError
		var pe *ProtocolError
		switch {
		case errors.As(err, &ue):
			features[ue.Feature]++
		case errors.As(err, &pe):
			features[pe.Error()]++
		default:
			t.Errorf("%s: %v (neither loads nor names an unsupported feature)", path, err)
		}
		if proto == "http" || proto == "ssl" || proto == "dns" || proto == "network" {
			t.Logf("%s (%s): %v", path, proto, err)
		}
	}
	var protos []string
	for p := range counts {
		protos = append(protos, p)
	}
	sort.Strings(protos)
	core, coreOK := 0, 0
	for _, p := range protos {
		c := counts[p]
		t.Logf("%-10s %3d/%3d load", p, c.ok, c.total)
		if p == "http" || p == "ssl" || p == "dns" || p == "network" {
			core += c.total
			coreOK += c.ok
		}
	}
	for f, n := range features {
		t.Logf("refused %2d x %s", n, f)
	}
	if core == 0 {
		t.Fatal("no http, ssl, dns or network template in INDEX.tsv")
	}
	share := float64(coreOK) / float64(core)
	t.Logf("http+ssl+dns+network: %d/%d load (%.1f%%)", coreOK, core, 100*share)
	if share < 0.9 {
		t.Errorf("only %.1f%% of the http, ssl, dns and network templates load; want at least 90%%", 100*share)
	}
}
