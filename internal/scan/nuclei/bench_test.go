package nuclei

import (
	"strings"
	"testing"
)

// BenchmarkLoadShipped: loading the shipped set, what every scan round
// and garda scan start with.
func BenchmarkLoadShipped(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Builtin(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchPage: the matchers and extractors of a typical exposure
// template on a 20 KB page, the engine's inner loop.
func BenchmarkMatchPage(b *testing.B) {
	tpl, err := Parse([]byte(`id: bench
info: {name: bench, author: garda, severity: info}
http:
  - path: ['{{BaseURL}}/.env']
    matchers-condition: and
    matchers:
      - type: regex
        regex: ['(?mi)^APP_(NAME|ENV|KEY|DEBUG|URL|PASSWORD)=', '(?mi)^DB_(HOST|PASSWORD|DATABASE)=']
      - type: word
        part: header
        negative: true
        words: [text/html]
      - type: dsl
        dsl: ['status_code == 200 && !contains(tolower(body), "<html")']
    extractors:
      - type: regex
        group: 1
        regex: ['APP_KEY=(.+)']
`), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("# comment line of a configuration file\n", 500) + "APP_NAME=Laravel\nAPP_KEY=base64:abc\nDB_HOST=127.0.0.1\n"
	vars := response(body, 200, "Content-Type: text/plain\r\n")
	ops := &tpl.http[0].operators
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := ops.execute(merge(vars), "body"); !ok {
			b.Fatal("no match")
		}
	}
}
