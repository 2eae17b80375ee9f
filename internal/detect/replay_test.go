package detect_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/alert"
	"github.com/garda-id/garda/internal/detect"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
)

const goodLine = `36.70.1.1 - - [14/Feb/2024:09:00:00 +0700] "GET /berita/1 HTTP/1.1" 200 512 "-" "Mozilla/5.0"`

// TestReplaySurvivesBadInput feeds truncated lines, binary garbage, a line
// over the limit, invalid UTF-8 and CRLF endings between good lines: each
// bad line is counted as rejected, no good line is lost, and the line
// numbers of what follows stay right.
func TestReplaySurvivesBadInput(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	good := 0
	addGood := func() { in.WriteString(goodLine + "\n"); good++ }
	addGood()
	in.WriteString(goodLine[:40] + "\n") // truncated
	addGood()
	in.Write([]byte{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, '\n'}) // a TLS hello sent to the HTTP port
	addGood()
	in.WriteString(strings.Repeat("A", detect.MaxLine+10) + "\n") // too long
	addGood()
	in.WriteString("36.70.1.1 - - [14/Feb/2024:09:00:00 +0700] \"GET /\xff\xfe HTTP/1.1\" 200 1 \"-\" \"x\"\n") // not UTF-8
	in.WriteString(goodLine + "\r\n")
	good++
	in.WriteString("\n\n")
	addGood()
	in.WriteString(goodLine) // no final newline
	good++

	f, _ := format.Lookup("nginx")
	res, err := eng.Replay(context.Background(), &in, detect.ReplayOptions{Format: f, PerEvent: nil})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != int64(good) {
		t.Errorf("accepted %d good lines, want %d", res.Accepted, good)
	}
	want := [ingest.NumReasons]int64{ingest.TooLong: 1, ingest.BadTime: 1, ingest.Binary: 2}
	if res.Rejected != want {
		t.Errorf("rejected %v, want %v", res.Rejected, want)
	}
	if res.Lines != res.Accepted+res.RejectedTotal() {
		t.Errorf("lines %d != accepted %d + rejected %d", res.Lines, res.Accepted, res.RejectedTotal())
	}
}

// TestReplayQuotedAndGarbageLogs: a log whose lines an exporter wrapped in
// quotes is read with its clients' addresses (and its attack found), and
// a log of garbage raises nothing and says how many lines it refused and
// why.
func TestReplayQuotedAndGarbageLogs(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	f, _ := format.Lookup("nginx")
	var quoted strings.Builder
	for i := range 12 {
		line := fmt.Sprintf(`198.51.100.7 - - [14/Feb/2024:09:00:%02d +0700] "GET /admin/%d.php HTTP/1.1" 404 153 "-" "Mozilla/5.0"`, i, i)
		quoted.WriteString(`"` + strings.ReplaceAll(line, `"`, `""`) + "\"\r\n")
	}
	res, err := eng.Replay(context.Background(), strings.NewReader(quoted.String()), detect.ReplayOptions{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 12 || len(res.Alerts) == 0 {
		t.Fatalf("accepted %d of 12 quoted lines, %d alerts", res.Accepted, len(res.Alerts))
	}
	for _, a := range res.Alerts {
		if a.SourceIP != "198.51.100.7" {
			t.Errorf("alert %s from %q", a.Scenario, a.SourceIP)
		}
	}

	garbage := strings.Join([]string{
		`web-7 - - [14/Feb/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`,
		`- - - [14/Feb/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`,
		`198.51.100.7 - - [99/Xyz/2024:09:00:00 +0700] "GET / HTTP/1.1" 200 1 "-" "-"`,
		`198.51.100.7 - - [14/Feb/2024:09:00:00 +0700] GET / HTTP/1.1 200 1`,
		`198.51.100.7 - - [14/Feb/2024:09:00:00 +0700] "GET / HTTP/1.1" OK 1 "-" "-"`,
		`198.51.100.7 - -`,
		"hello world",
	}, "\n")
	res, err = eng.Replay(context.Background(), strings.NewReader(garbage), detect.ReplayOptions{Format: f})
	if err != nil {
		t.Fatal(err)
	}
	want := [ingest.NumReasons]int64{ingest.BadClientAddress: 3, ingest.BadTime: 1, ingest.BadRequest: 1, ingest.BadStatus: 1, ingest.Unparseable: 1}
	if res.Lines != 7 || res.Accepted != 0 || res.Rejected != want || len(res.Alerts) != 0 {
		t.Errorf("lines %d, accepted %d, rejected %v (want %v), %d alerts", res.Lines, res.Accepted, res.Rejected, want, len(res.Alerts))
	}
}

// TestReplayLineNumbers checks that --per-event reports the line numbers
// of the matched events across block boundaries.
func TestReplayLineNumbers(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	n := 0
	var attackLines []int64
	for range 30000 { // about 3 MB: several blocks
		n++
		if n%7919 == 0 {
			in.WriteString(`198.51.100.9 - - [14/Feb/2024:09:00:00 +0700] "GET /x HTTP/1.1" 200 5 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)"` + "\n")
			attackLines = append(attackLines, int64(n))
			continue
		}
		in.WriteString(goodLine + "\n")
	}
	f, _ := format.Lookup("nginx")
	var got []int64
	_, err = eng.Replay(context.Background(), io.MultiReader(&in), detect.ReplayOptions{Format: f,
		PerEvent: func(ev *event.Event, sigs []alert.Signal) {
			// (The ordinary lines, one client in one second, are a flood too.)
			for _, s := range sigs {
				if s.Scenario == "http-scanner" {
					got = append(got, ev.Line)
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(attackLines) {
		t.Fatalf("%d matched lines, want %v", len(got), attackLines)
	}
	for i := range got {
		if got[i] != attackLines[i] {
			t.Fatalf("matched lines %v, want %v", got, attackLines)
		}
	}
}

// TestReplayLinesOfEveryLength: lines are parsed from strings of several
// lines at once (inspectBlock's chunks); lines shorter and longer than a
// chunk, with LF and CRLF endings, each come out whole with their number.
func TestReplayLinesOfEveryLength(t *testing.T) {
	eng, err := engine()
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	want := map[int64]string{}
	for i := range 400 {
		target := fmt.Sprintf("/cari?q=%d-%s", i, strings.Repeat("a", (i*97)%9000))
		end := "\n"
		if i%3 == 0 {
			end = "\r\n"
		}
		fmt.Fprintf(&in, `198.51.100.%d - - [14/Feb/2024:09:00:%02d +0700] "GET %s HTTP/1.1" 200 5 "-" "sqlmap/1.7.2"%s`, i%200, i%60, target, end)
		want[int64(i+1)] = target
	}
	f, _ := format.Lookup("nginx")
	got := map[int64]string{}
	res, err := eng.Replay(context.Background(), &in, detect.ReplayOptions{Format: f,
		PerEvent: func(ev *event.Event, sigs []alert.Signal) {
			for _, s := range sigs {
				if s.Scenario == "http-scanner" {
					got[ev.Line] = ev.Get(event.URLOriginal)
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 400 || len(got) != 400 {
		t.Fatalf("accepted %d, scanner lines %d, want 400", res.Accepted, len(got))
	}
	for n, target := range want {
		if got[n] != target {
			t.Fatalf("line %d: target of %d bytes, want %d", n, len(got[n]), len(target))
		}
	}
}
