// Package stamp parses the timestamps found in log lines: the common log
// format's [02/Jan/2006:15:04:05 -0700], RFC 3339 and the BSD syslog
// "Jan  2 15:04:05". It is on every parser's hot path, so it works on
// strings without time.Parse and without allocating for any offset that is
// a whole quarter hour. It must never guess a zone it was not told: a
// timestamp without one is read in the location the caller gives.
package stamp

import "time"

// zones holds a fixed zone per quarter hour from -14:00 to +14:00, so that
// parsing an offset never allocates a *time.Location. Built when the
// program starts, then only read.
var zones = func() [113]*time.Location {
	var z [113]*time.Location
	for q := -56; q <= 56; q++ {
		z[q+56] = time.FixedZone("", q*15*60)
	}
	z[56] = time.UTC
	return z
}()

// Zone is a fixed zone at offset seconds east of UTC: time.UTC for zero,
// a shared location for a whole quarter hour within ±14:00.
func Zone(offset int) *time.Location {
	if offset%900 == 0 && offset >= -14*3600 && offset <= 14*3600 {
		return zones[offset/900+56]
	}
	return time.FixedZone("", offset)
}

// Date is the instant of a civil date and time at offset seconds east of
// UTC, in that offset's zone. It checks the ranges time.Date would
// normalise, so "31/Feb" is refused rather than moved to March.
func Date(year, month, day, hour, min, sec, nsec, offset int) (time.Time, bool) {
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || min > 59 || sec > 60 || nsec < 0 || nsec > 999999999 {
		return time.Time{}, false
	}
	if sec == 60 { // a leap second: fold onto the next one, as most tools do
		sec = 59
		nsec = 999999999
	}
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+min*60+sec) - int64(offset)
	return time.Unix(unix, int64(nsec)).In(Zone(offset)), true
}

// daysFromCivil is the number of days since 1970-01-01 (proleptic
// Gregorian); year must be at least 1.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// month is the number of a three-letter English month name, 0 if none.
func month(s string) int {
	if len(s) < 3 {
		return 0
	}
	switch s[:3] {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

// two is the value of two ASCII digits, negative when either is not one.
func two(a, b byte) int {
	a, b = a-'0', b-'0'
	if a > 9 || b > 9 {
		return -1 << 20
	}
	return int(a)*10 + int(b)
}

// digits is the value of s[i:i+n] when all are ASCII digits, else -1.
func digits(s string, i, n int) int {
	if i < 0 || i+n > len(s) {
		return -1
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// CLFLen is the length of a common-log-format timestamp.
const CLFLen = len("02/Jan/2006:15:04:05 -0700")

// CLF parses the common log format's timestamp, exactly
// "02/Jan/2006:15:04:05 -0700" (nginx's $time_local, Apache's %t without
// the brackets).
func CLF(s string) (time.Time, bool) {
	if len(s) != CLFLen || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':' || s[20] != ' ' {
		return time.Time{}, false
	}
	day, mon, year := two(s[0], s[1]), month(s[3:6]), two(s[7], s[8])*100+two(s[9], s[10])
	hh, mm, ss := two(s[12], s[13]), two(s[15], s[16]), two(s[18], s[19])
	off, ok := offset(s[21:])
	if day|year|hh|mm|ss < 0 || mon == 0 || !ok {
		return time.Time{}, false
	}
	return Date(year, mon, day, hh, mm, ss, 0, off)
}

// offset parses "Z", "+07:00" or "+0700" (the whole of s) into seconds.
func offset(s string) (int, bool) {
	if s == "Z" || s == "z" {
		return 0, true
	}
	if len(s) != 5 && len(s) != 6 {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, false
	}
	h := digits(s, 1, 2)
	m := -1
	if len(s) == 5 {
		m = digits(s, 3, 2)
	} else if s[3] == ':' {
		m = digits(s, 4, 2)
	}
	if h < 0 || m < 0 || h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// RFC3339 parses "2006-01-02T15:04:05[.999999999](Z|+07:00)", the whole
// of s. It also takes a space or 't' for 'T', more than nine fraction
// digits (cut to nanoseconds) and a "+0700" offset, as journald's
// short-iso and many JSON loggers write.
func RFC3339(s string) (time.Time, bool) {
	t, n, ok := RFC3339Prefix(s)
	if !ok || n != len(s) {
		return time.Time{}, false
	}
	return t, true
}

// RFC3339Prefix parses an RFC 3339 timestamp at the start of s and
// returns how many bytes it took.
func RFC3339Prefix(s string) (time.Time, int, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, 0, false
	}
	year, mon, day := digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2)
	hh, mm, ss := digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2)
	if year < 0 || mon < 0 || day < 0 || hh < 0 || mm < 0 || ss < 0 {
		return time.Time{}, 0, false
	}
	i, nsec := 19, 0
	if s[i] == '.' || s[i] == ',' {
		i++
		start, scale := i, 100000000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nsec += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return time.Time{}, 0, false
		}
	}
	if i >= len(s) {
		return time.Time{}, 0, false
	}
	var off, n int
	switch s[i] {
	case 'Z', 'z':
		n = 1
	case '+', '-':
		n = 6
		if i+n > len(s) || s[i+3] != ':' {
			n = 5
		}
		if i+n > len(s) {
			return time.Time{}, 0, false
		}
		var ok bool
		if off, ok = offset(s[i : i+n]); !ok {
			return time.Time{}, 0, false
		}
	default:
		return time.Time{}, 0, false
	}
	t, ok := Date(year, mon, day, hh, mm, ss, nsec, off)
	return t, i + n, ok
}

// BSD parses the RFC 3164 timestamp "Jan _2 15:04:05" at the start of s
// (also with a two-digit day, an optional ".000" fraction, and an optional
// year after the day or after the time, as some devices send). The year,
// when absent, is ref's, or the one before when that would put the time
// more than a day after ref (December's lines read in January). The time
// is in loc (time.Local when nil). It returns how many bytes it took.
func BSD(s string, ref time.Time, loc *time.Location) (time.Time, int, bool) {
	if len(s) < 15 || s[3] != ' ' {
		return time.Time{}, 0, false
	}
	mon := month(s)
	if mon == 0 {
		return time.Time{}, 0, false
	}
	i := 4
	if s[i] == ' ' {
		i++
	}
	day := 0
	for n := 0; n < 2 && i < len(s) && s[i] >= '0' && s[i] <= '9'; n++ {
		day = day*10 + int(s[i]-'0')
		i++
	}
	if day == 0 || i >= len(s) || s[i] != ' ' {
		return time.Time{}, 0, false
	}
	i++
	year := -1
	if y := digits(s, i, 4); y >= 0 && i+4 < len(s) && s[i+4] == ' ' {
		year = y
		i += 5
	}
	if i+8 > len(s) || s[i+2] != ':' || s[i+5] != ':' {
		return time.Time{}, 0, false
	}
	hh, mm, ss := digits(s, i, 2), digits(s, i+3, 2), digits(s, i+6, 2)
	if hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, 0, false
	}
	i += 8
	nsec := 0
	if i < len(s) && s[i] == '.' {
		j, scale := i+1, 100000000
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			nsec += int(s[j]-'0') * scale
			scale /= 10
			j++
		}
		if j > i+1 {
			i = j
		}
	}
	if year < 0 {
		if y := digits(s, i+1, 4); y >= 0 && i < len(s) && s[i] == ' ' && (i+5 == len(s) || s[i+5] == ' ') {
			year = y
			i += 5
		}
	}
	if loc == nil {
		loc = time.Local
	}
	guessed := year < 0
	if guessed {
		year = ref.In(loc).Year()
	}
	if year < 1 || day > daysIn(mon, year) && !(guessed && mon == 2 && day == 29) {
		return time.Time{}, 0, false
	}
	t := time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, loc)
	if guessed && (t.After(ref.Add(24*time.Hour)) || t.Month() != time.Month(mon)) {
		// A date after ref is last year's; so is 29 Feb outside a leap year.
		t = time.Date(year-1, time.Month(mon), day, hh, mm, ss, nsec, loc)
		if t.Month() != time.Month(mon) {
			return time.Time{}, 0, false
		}
	}
	return t, i, true
}
