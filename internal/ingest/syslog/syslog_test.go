package syslog

import (
	"bytes"
	"errors"
	"github.com/garda-id/garda/internal/allocstest"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

var wib = time.FixedZone("WIB", 7*3600)

func opts() *Options {
	return &Options{Now: func() time.Time { return time.Date(2024, 3, 1, 0, 0, 0, 0, wib) }, Location: wib}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Message
		err  error
	}{
		{in: "Jan  5 10:00:01 web1 sshd[123]: Failed password for root from 203.0.113.5 port 51234 ssh2",
			want: Message{Priority: -1, Time: time.Date(2024, 1, 5, 10, 0, 1, 0, wib), Hostname: "web1", AppName: "sshd", ProcID: "123",
				Text: "Failed password for root from 203.0.113.5 port 51234 ssh2"}},
		{in: "<38>Feb 14 06:00:00 web1 sudo: kpu : TTY=pts/0 ; COMMAND=/bin/ls",
			want: Message{Priority: 38, Time: time.Date(2024, 2, 14, 6, 0, 0, 0, wib), Hostname: "web1", AppName: "sudo", Text: "kpu : TTY=pts/0 ; COMMAND=/bin/ls"}},
		{in: "<13>Feb 14 06:00:00 sshd[9]: no hostname",
			want: Message{Priority: 13, Time: time.Date(2024, 2, 14, 6, 0, 0, 0, wib), AppName: "sshd", ProcID: "9", Text: "no hostname"}},
		{in: "Dec 31 23:00:00 web1 kernel: from last year",
			want: Message{Priority: -1, Time: time.Date(2023, 12, 31, 23, 0, 0, 0, wib), Hostname: "web1", AppName: "kernel", Text: "from last year"}},
		{in: "2024-02-14T06:00:00.5+07:00 web1 sshd[1]: rsyslog high precision",
			want: Message{Priority: -1, Time: time.Date(2024, 2, 14, 6, 0, 0, 5e8, wib), Hostname: "web1", AppName: "sshd", ProcID: "1", Text: "rsyslog high precision"}},
		{in: "Feb 14 06:00:00 web1 no tag here",
			want: Message{Priority: -1, Time: time.Date(2024, 2, 14, 6, 0, 0, 0, wib), Hostname: "web1", Text: "no tag here"}},
		{in: "<34>1 2024-02-14T06:00:00.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
			want: Message{Priority: 34, Version: 1, Time: time.Date(2024, 2, 14, 6, 0, 0, 3e6, time.UTC), Hostname: "mymachine.example.com", AppName: "su",
				MsgID: "ID47", Text: "'su root' failed for lonvick on /dev/pts/8"}},
		{in: `<165>1 2024-02-14T06:00:00+07:00 web1 sshd 4242 - [exampleSDID@32473 iut="3" eventSource="Appl\"ication\]" eventID="1011"][x@1 a="b"] ` + "\ufeffInvalid user x from 1.2.3.4 port 22",
			want: Message{Priority: 165, Version: 1, Time: time.Date(2024, 2, 14, 6, 0, 0, 0, wib), Hostname: "web1", AppName: "sshd", ProcID: "4242",
				Text: "Invalid user x from 1.2.3.4 port 22"}},
		{in: "<165>1 - - - - - -", want: Message{Priority: 165, Version: 1}},
		{in: "<13>just text, no header", want: Message{Priority: 13, Text: "just text, no header"}},
		{in: "", err: ErrEmpty},
		{in: "no header at all", err: ErrHeader},
		{in: "<192>Feb 14 06:00:00 x y: z", err: ErrPriority},
		{in: "<013>Feb 14 06:00:00 x y: z", err: ErrPriority},
		{in: "<1a>Feb 14 06:00:00 x y: z", err: ErrPriority},
		{in: "<13", err: ErrPriority},
		{in: "<165>1 2024-02-14T06:00:00Z web1 sshd 1 -", err: ErrSD},
		{in: "<165>1 2024-02-14T06:00:00Z web1 sshd 1 - [x a=\"b]", err: ErrSD},
		{in: "<165>1 2024-02-14T06:00:00Z web1 sshd 1 - [x a=b]", err: ErrSD},
		{in: "<165>1 2024-02-14T06:00:00Z web1 sshd 1 - [x]msg", err: ErrSD},
		{in: "<165>1 yesterday web1 sshd 1 - - msg", err: ErrTimestamp},
		{in: "<165>1 2024-02-14T06:00:00Z web1", err: ErrHeader},
	} {
		var m Message
		err := Parse(c.in, &m, opts())
		if !errors.Is(err, c.err) {
			t.Errorf("Parse(%q) error %v, want %v", c.in, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if !m.Time.Equal(c.want.Time) || m.Time.IsZero() != c.want.Time.IsZero() {
			t.Errorf("Parse(%q) time %v, want %v", c.in, m.Time, c.want.Time)
		}
		m.Time, c.want.Time = time.Time{}, time.Time{}
		if m != c.want {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", c.in, m, c.want)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	var m Message
	o := opts()
	for _, in := range []string{
		"Jan  5 10:00:01 web1 sshd[123]: Failed password for root from 203.0.113.5 port 51234 ssh2",
		`<165>1 2024-02-14T06:00:00+07:00 web1 sshd 4242 - [a@1 b="c"] hello`,
	} {
		if n := allocstest.PerRun(100, func() { _ = Parse(in, &m, o) }); n != 0 {
			t.Errorf("Parse(%q) allocates %v times", in, n)
		}
	}
}

func TestSplitter(t *testing.T) {
	stream := "<13>Feb 14 06:00:00 a b: one\n" +
		"28 <13>Feb 14 06:00:00 a b: two" +
		"31 <13>Feb 14 06:00:00 a b: three\n" + // count includes the LF
		"\r\n\n" +
		"12345x not a count\n" +
		"31 " + strings.Repeat("x", 31) + // at the limit
		"32 " + strings.Repeat("y", 32) + // over: skipped by its count
		strings.Repeat("z", 100) + "\n" + // over: skipped up to its LF
		"<13>Feb 14 06:00:00 a b: after\r\n" +
		"last without LF"
	s := NewSplitter(strings.NewReader(stream), 31)
	var got []string
	for {
		m, err := s.Next()
		if errors.Is(err, ErrTooLong) {
			got = append(got, "TOO LONG")
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m))
	}
	want := []string{
		"<13>Feb 14 06:00:00 a b: one", "<13>Feb 14 06:00:00 a b: two", "<13>Feb 14 06:00:00 a b: three",
		"12345x not a count", strings.Repeat("x", 31), "TOO LONG", "TOO LONG", "<13>Feb 14 06:00:00 a b: after", "last without LF",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestSplitterOneByteReads(t *testing.T) {
	stream := "10 0123456789" + "5 abcde\nline\n"
	s := NewSplitter(iotest.OneByteReader(strings.NewReader(stream)), 64)
	var got []string
	for {
		m, err := s.Next()
		if err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		got = append(got, string(m))
	}
	if strings.Join(got, "|") != "0123456789|abcde|line" {
		t.Fatalf("got %q", got)
	}
}

func TestSplitterTruncatedCount(t *testing.T) {
	s := NewSplitter(strings.NewReader("50 short"), 100)
	if _, err := s.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("err %v, want unexpected EOF", err)
	}
	s = NewSplitter(strings.NewReader("500 short"), 100)
	if _, err := s.Next(); err != io.ErrUnexpectedEOF {
		t.Fatalf("err %v, want unexpected EOF", err)
	}
}

func FuzzSyslog(f *testing.F) {
	for _, s := range []string{
		"Jan  5 10:00:01 web1 sshd[123]: Failed password for root from 203.0.113.5 port 51234 ssh2",
		"<38>Feb 14 06:00:00 web1 sudo: kpu : TTY=pts/0 ; COMMAND=/bin/ls",
		"<165>1 2024-02-14T06:00:00+07:00 web1 sshd 4242 - [a@1 b=\"c\\\"\"][d@2 e=\"\"] \ufeffmsg",
		"<165>1 - - - - - -",
		"2024-02-14T06:00:00.5+07:00 web1 sshd[1]: x",
		"<13>text", "<", "<1>", "<1>1 ", "Feb 29 00:00:00 x", "\xff\xfe<13>",
	} {
		f.Add(s)
	}
	o := opts()
	f.Fuzz(func(t *testing.T, s string) {
		var m Message
		if err := Parse(s, &m, o); err != nil {
			return
		}
		for _, field := range []string{m.Hostname, m.AppName, m.ProcID, m.MsgID, m.Text} {
			if !strings.Contains(s, field) {
				t.Fatalf("field %q not from input %q", field, s)
			}
		}
		if m.Priority > 191 || m.Priority < -1 {
			t.Fatalf("priority %d", m.Priority)
		}
		if utf8.ValidString(s) && !utf8.ValidString(m.Text) {
			t.Fatalf("text %q cut a rune", m.Text)
		}
	})
}

func FuzzTCPFraming(f *testing.F) {
	for _, s := range []string{
		"<13>Feb 14 06:00:00 a b: one\n29 <13>Feb 14 06:00:00 a b: two",
		"5 abcde5 abcde\n\n\r\n", "999999999999 x", "12 short", "0 x\n", "1\n2 ab",
		strings.Repeat("a", 300) + "\nok\n",
	} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, stream []byte, max uint16) {
		limit := int(max%512) + 1
		s := NewSplitter(bytes.NewReader(stream), limit)
		total := 0
		for i := 0; ; i++ {
			m, err := s.Next()
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				break
			}
			if errors.Is(err, ErrTooLong) {
				continue
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if len(m) > limit {
				t.Fatalf("message of %d bytes, limit %d", len(m), limit)
			}
			if i > len(stream)+1 {
				t.Fatalf("more messages than bytes")
			}
			total += len(m)
		}
		if total > len(stream) {
			t.Fatalf("read %d bytes of messages from %d", total, len(stream))
		}
	})
}

func BenchmarkParse3164(b *testing.B) {
	line := "Jan  5 10:00:01 web1 sshd[123]: Failed password for invalid user admin from 203.0.113.5 port 51234 ssh2"
	o := opts()
	var m Message
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Parse(line, &m, o)
	}
}

func BenchmarkParse5424(b *testing.B) {
	line := `<165>1 2024-02-14T06:00:00.123+07:00 web1 sshd 4242 - [meta@1 seq="1"] Failed password for root from 203.0.113.5 port 51234 ssh2`
	var m Message
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Parse(line, &m, nil)
	}
}
