// Package hostile writes access logs in which every line is an attack: a
// different payload from a different address, as a botnet or a farm of
// scanners sends them. It is the worst case for detection's cost (nothing
// repeats, so no verdict is remembered and every line reaches CRS), made
// for benchmarks and never for tests of what is found: the payloads are
// public fuzzing lists, and some of their lines are not attacks at all.
// It must never read anything but the payload lists it is given.
package hostile

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Classes are the payload lists, by file name in the payload folder
// (../shared/data/payloads: sqli.txt, xss.txt, cmdi.txt, traversal.txt).
var Classes = []string{"sqli", "xss", "cmdi", "traversal"}

// Payload is one line of a list and the class it came from.
type Payload struct {
	Class string
	Text  string
}

// Load reads every list of Classes from dir.
func Load(dir string) ([]Payload, error) {
	var out []Payload
	for _, c := range Classes {
		f, err := os.Open(filepath.Join(dir, c+".txt"))
		if err != nil {
			return nil, fmt.Errorf("read payloads: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if t := sc.Text(); strings.TrimSpace(t) != "" {
				out = append(out, Payload{Class: c, Text: t})
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read payloads %s: %w", c, err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read payloads: no payload in %s", dir)
	}
	return out, nil
}

// Options shape a hostile log.
type Options struct {
	Lines int
	Seed  uint64
	Start time.Time // the first line's time; zero = 2024-02-14 00:00 UTC
}

// paths and parameters where payloads land, as on KPU's sites.
var (
	paths  = []string{"/cari", "/index.php", "/api/v1/tps", "/dpt/cek", "/berita/detail", "/download", "/login"}
	params = map[string][]string{
		"sqli":      {"id", "q", "nik", "kode", "page", "sort"},
		"xss":       {"q", "nama", "pesan", "callback", "ref"},
		"cmdi":      {"host", "ip", "cmd", "file", "q"},
		"traversal": {"file", "path", "doc", "template", "page"},
	}
	agents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"python-requests/2.31.0",
		"curl/8.5.0",
	}
)

// Write writes opts.Lines lines of nginx's combined format to w: line i
// carries payload i modulo the lists (in an order drawn from the seed),
// varied so that no payload text repeats: placeholders filled, a number of
// the line's own in front, and from the second round on letters in mixed
// case (SQL and HTML only, where case changes nothing) and some bytes
// percent-encoded. Each line comes from its own address.
func Write(w io.Writer, payloads []Payload, opts Options) error {
	if opts.Start.IsZero() {
		opts.Start = time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	order := rng.Perm(len(payloads))
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for i := range opts.Lines {
		p := payloads[order[i%len(payloads)]]
		round := i / len(payloads)
		value := vary(rng, p, i, round)
		name := params[p.Class][rng.IntN(len(params[p.Class]))]
		target := paths[rng.IntN(len(paths))] + "?" + name + "=" + value
		if rng.IntN(3) == 0 {
			target += "&lang=id"
		}
		status := 200
		if rng.IntN(4) == 0 {
			status = 403
		}
		at := opts.Start.Add(time.Duration(i) * time.Millisecond)
		line = line[:0]
		// One address per line: 100.64.0.0/10 (shared address space),
		// enumerated.
		n := uint32(i) + 1
		line = fmt.Appendf(line, "100.%d.%d.%d - - [%s] \"GET %s HTTP/1.1\" %d %d \"-\" \"%s\"\n",
			64+(n>>16)&63, (n>>8)&255, n&255, at.Format("02/Jan/2006:15:04:05 -0700"),
			target, status, 100+rng.IntN(5000), agents[rng.IntN(len(agents))])
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// vary makes the payload text of line i: unique, still the same attack.
func vary(rng *rand.Rand, p Payload, i, round int) string {
	t := p.Text
	for _, ph := range []string{"[RANDNUM1]", "[RANDNUM]", "[SLEEPTIME]", "[RANDSTR]", "[DELIMITER_START]", "[DELIMITER_STOP]", "[INFERENCE]", "[ORIGVALUE]", "[GENERIC_SQL_COMMENT]", "[CHAR]"} {
		for strings.Contains(t, ph) {
			t = strings.Replace(t, ph, fmt.Sprint(rng.IntN(10000)), 1)
		}
	}
	t = fmt.Sprint(i) + t // a number of the line's own, as an injected id would carry
	if round > 0 && (p.Class == "sqli" || p.Class == "xss") {
		b := []byte(t)
		for j, c := range b {
			if c >= 'a' && c <= 'z' && rng.IntN(3) == 0 {
				b[j] = c - 'a' + 'A'
			}
		}
		t = string(b)
	}
	var b strings.Builder
	for j := 0; j < len(t); j++ {
		c := t[j]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/", c) >= 0:
			if round > 1 && rng.IntN(8) == 0 {
				fmt.Fprintf(&b, "%%%02X", c) // an encoded letter, as evasions do
			} else {
				b.WriteByte(c)
			}
		case c == '%':
			b.WriteByte(c) // the lists' own encodings (%c0%af, %u2216) are sent as they are
		case c == ' ' && rng.IntN(2) == 0:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
