package stamp

import (
	"github.com/garda-id/garda/internal/allocstest"
	"testing"
	"time"
)

func TestCLF(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // RFC 3339, "" when refused
	}{
		{"14/Feb/2024:06:00:00 +0700", "2024-02-14T06:00:00+07:00"},
		{"01/Jan/1999:23:59:59 -0530", "1999-01-01T23:59:59-05:30"},
		{"29/Feb/2024:00:00:00 +0000", "2024-02-29T00:00:00Z"},
		{"29/Feb/2023:00:00:00 +0000", ""},
		{"31/Apr/2024:00:00:00 +0000", ""},
		{"14/Fe/2024:06:00:00 +0700", ""},
		{"14/Feb/2024:24:00:00 +0700", ""},
		{"14/Feb/2024:06:00:00 +07:0", ""},
		{"14/Feb/2024:06:00:00 07000", ""},
		{"14/Feb/2024:06:00:00 +0745", "2024-02-14T06:00:00+07:45"},
		{"14/Feb/2024:06:00:00 +0701", "2024-02-14T06:00:00+07:01"},
		{"", ""},
	} {
		got, ok := CLF(c.in)
		if c.want == "" {
			if ok {
				t.Errorf("CLF(%q) = %v, want refused", c.in, got)
			}
			continue
		}
		want, _ := time.Parse(time.RFC3339, c.want)
		if !ok || !got.Equal(want) || got.Format(time.RFC3339) != c.want {
			t.Errorf("CLF(%q) = %v %v, want %s", c.in, got, ok, c.want)
		}
	}
}

func TestCLFMatchesTimeParse(t *testing.T) {
	for i := int64(0); i < 20000; i++ {
		tm := time.Unix(-2e9+i*4_000_037, 0).In(Zone(int(i%57-28) * 1800))
		s := tm.Format("02/Jan/2006:15:04:05 -0700")
		got, ok := CLF(s)
		if !ok || !got.Equal(tm) {
			t.Fatalf("CLF(%q) = %v, want %v", s, got, tm)
		}
	}
}

func TestRFC3339(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2024-02-14T06:00:00Z", "2024-02-14T06:00:00Z"},
		{"2024-02-14T06:00:00.123456+07:00", "2024-02-14T06:00:00.123456+07:00"},
		{"2024-02-14 06:00:00,5+0700", "2024-02-14T06:00:00.5+07:00"},
		{"2024-02-14T06:00:00.1234567891234Z", "2024-02-14T06:00:00.123456789Z"},
		{"2024-02-14T06:00:00", ""},
		{"2024-02-14T06:00:00.Z", ""},
		{"2024-13-14T06:00:00Z", ""},
		{"2024-02-14T06:00:00+7:00", ""},
		{"2024-02-14T06:00:00Zjunk", ""},
	} {
		got, ok := RFC3339(c.in)
		if c.want == "" {
			if ok {
				t.Errorf("RFC3339(%q) = %v, want refused", c.in, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("RFC3339(%q) = %v %v, want %s", c.in, got.Format(time.RFC3339Nano), ok, c.want)
		}
	}
}

func TestBSD(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	ref := time.Date(2024, 1, 10, 12, 0, 0, 0, wib)
	for _, c := range []struct {
		in   string
		want string
		n    int
	}{
		{"Jan  5 10:00:01 host", "2024-01-05T10:00:01+07:00", 15},
		{"Jan 15 10:00:01 host", "2023-01-15T10:00:01+07:00", 15}, // after ref: last year
		{"Jan 11 10:00:01 host", "2024-01-11T10:00:01+07:00", 15}, // within a day of ref: clock skew
		{"Dec 31 23:59:59 host", "2023-12-31T23:59:59+07:00", 15},
		{"Jan 5 10:00:01 host", "2024-01-05T10:00:01+07:00", 14},
		{"Jan  5 10:00:01.250 host", "2024-01-05T10:00:01.25+07:00", 19},
		{"Jan  5 2022 10:00:01 host", "2022-01-05T10:00:01+07:00", 20},
		{"Jan  5 10:00:01 2022 host", "2022-01-05T10:00:01+07:00", 20},
		{"Feb 29 10:00:01 host", "2020-02-29T10:00:01+07:00", 0}, // 2023 has none; refused
		{"Foo  5 10:00:01 host", "", 0},
		{"Jan 32 10:00:01 host", "", 0},
		{"Jan  5 1000:01 host", "", 0},
		{"Jan", "", 0},
	} {
		got, n, ok := BSD(c.in, ref, wib)
		if c.n == 0 {
			if ok {
				t.Errorf("BSD(%q) = %v, want refused", c.in, got)
			}
			continue
		}
		if !ok || n != c.n || got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("BSD(%q) = %v %d %v, want %s %d", c.in, got.Format(time.RFC3339Nano), n, ok, c.want, c.n)
		}
	}
}

func TestZoneShared(t *testing.T) {
	if Zone(7*3600) != Zone(7*3600) || Zone(0) != time.UTC {
		t.Fatal("zones not shared")
	}
	if n := allocstest.PerRun(100, func() { CLF("14/Feb/2024:06:00:00 +0530") }); n != 0 {
		t.Fatalf("CLF allocates %v times", n)
	}
}

func BenchmarkCLF(b *testing.B) {
	for b.Loop() {
		CLF("14/Feb/2024:06:00:00 +0700")
	}
}
