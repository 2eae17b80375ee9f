package intel

import "testing"

// FuzzParsePattern: whatever a partner sends as a pattern, the parser
// answers without panicking, and what it accepts is a value that writes
// back as a pattern reading the same.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"[ipv4-addr:value = '203.0.113.7']", "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", "[url:value = 'http://a.example/\\'x']",
		"[file:hashes.'SHA-256' = 'aa']", "[x:y = 1]", "[", "''", "[domain-name:value = 'a.example'] AND [url:value = 'http://b.example/']",
		"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'curl/8']"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		k, v, err := ParsePattern(p)
		if err != nil {
			return
		}
		k2, v2, err := ParsePattern(Pattern(k, v))
		if err != nil || k2 != k || v2 != v {
			t.Fatalf("%q read as %s %q; its own pattern reads %s %q, %v", p, k, v, k2, v2, err)
		}
	})
}
