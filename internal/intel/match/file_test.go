package match_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/intel/match"
)

// TestRead reads the "kind value" file of `garda detect replay
// --indicators`: values normalised, comments, blank lines, CRLF and tabs
// taken, ids in order; a bad line is an error naming its number; what
// Write writes, Read reads back the same, from a file as from a stream.
func TestRead(t *testing.T) {
	in := "# indicators\r\n\nipv4-addr 192.0.2.7\r\nipv6-addr 2001:DB8::1\n  domain-name\tWww.Evil.Example.  \nipv4-addr 198.51.100.0/24\nurl https://evil.example/a?b=1\n"
	got, err := match.Read(strings.NewReader(in), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []match.Entry{
		{ID: 1, Kind: intel.IPv4, Value: "192.0.2.7", Confidence: 50},
		{ID: 2, Kind: intel.IPv6, Value: "2001:db8::1", Confidence: 50},
		{ID: 3, Kind: intel.Domain, Value: "www.evil.example", Confidence: 50},
		{ID: 4, Kind: intel.IPv4, Value: "198.51.100.0/24", Confidence: 50},
		{ID: 5, Kind: intel.URL, Value: "https://evil.example/a?b=1", Confidence: 50},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Read = %+v\nwant %+v", got, want)
	}
	for bad, msg := range map[string]string{
		"ipv4-addr 192.0.2.7\nipv4-addr 192.0.2.300\n": "line 2:",
		"\n\nnonsense\n":                  "line 3:",
		"domain-name evil..example\n":     "line 1:",
		"ipv4-addr 198.51.100.1/24\n":     "host bits",
		"url ftp//nothing\nipv4-addr 1\n": "line 1:",
	} {
		if _, err := match.Read(strings.NewReader(bad), time.Now()); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Read(%q) = %v, want an error with %q", bad, err, msg)
		}
	}
	entries := match.GenIndicators(2000, 9)
	var b bytes.Buffer
	if err := match.Write(&b, entries); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "indicators.txt")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := match.Read(f, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(entries) {
		t.Fatalf("read back %d of %d", len(back), len(entries))
	}
	for i := range back {
		if back[i].Kind != entries[i].Kind || back[i].Value != entries[i].Value || back[i].ID != int64(i+1) {
			t.Fatalf("entry %d: read back %+v, wrote %+v", i, back[i], entries[i])
		}
	}
}
