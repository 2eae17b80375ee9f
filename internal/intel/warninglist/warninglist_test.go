package warninglist

import (
	"encoding/json"
	"testing"
)

// Every shipped list is in MISP's warninglist format (the keys MISP's
// misp-warninglists repository uses) and parses; the lookups find what
// they should and nothing else.
func TestShippedListsAndLookups(t *testing.T) {
	ls, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 6 {
		t.Fatalf("%d lists", len(ls))
	}
	for _, l := range ls {
		b, err := shipped.ReadFile("lists/" + l.File + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"name", "version", "description", "matching_attributes", "type", "list"} {
			if raw[k] == nil {
				t.Errorf("%s: no %q", l.File, k)
			}
		}
		if len(raw) != 6 {
			t.Errorf("%s: keys beyond MISP's format", l.File)
		}
	}
	for v, list := range map[string]string{"8.8.4.4": "public-dns-v4", "180.131.144.144": "public-dns-v4", "8.8.8.0/24": "public-dns-v4",
		"2001:4860:4860::8888": "public-dns-v6", "104.17.0.1": "cloudflare", "2a06:98c0::1": "cloudflare", "151.101.65.140": "fastly", "54.230.1.1": "amazon-cloudfront"} {
		if h, ok := Address(v); !ok || h.List != list {
			t.Errorf("%s: %+v %v, want %s", v, h, ok, list)
		}
	}
	for _, v := range []string{"203.0.113.7", "198.51.100.0/24", "10.0.0.1", "2001:db8::1", "not an address"} {
		if h, ok := Address(v); ok {
			t.Errorf("%s listed: %+v", v, h)
		}
	}
	for v, entry := range map[string]string{"google.com": "google.com", "mail.google.com.": "google.com", "WWW.YouTube.com": "youtube.com", "dns.google": "dns.google"} {
		if h, ok := Domain(v); !ok || h.Entry != entry || h.List != "well-known-domains" {
			t.Errorf("%s: %+v %v", v, h, ok)
		}
	}
	for _, v := range []string{"google.com.phish.example", "notgoogle.com", "kpu.go.id", "com", ""} {
		if h, ok := Domain(v); ok {
			t.Errorf("%s listed: %+v", v, h)
		}
	}
	if _, err := Parse("x", []byte(`{"name":"x","type":"regex","list":["a"]}`)); err == nil {
		t.Error("a regex list parsed")
	}
	if _, err := Parse("x", []byte(`{"name":"x","type":"cidr","list":["nope"]}`)); err == nil {
		t.Error("a bad cidr entry parsed")
	}
}
