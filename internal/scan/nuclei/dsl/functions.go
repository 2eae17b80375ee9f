package dsl

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

type function func(args []any) (any, error)

// maxOutput bounds what a function may build (repeat, gzip_decode...), so
// that a template cannot make the engine allocate without limit.
const maxOutput = 10 << 20

// unsupportedFunctions are nuclei helpers this engine refuses, with why.
var unsupportedFunctions = map[string]string{
	"generate_java_gadget": "builds deserialisation exploits",
	"jarm":                 "needs raw TLS probes outside the Env",
	"resolve":              "needs a resolver outside the Env",
}

var functions map[string]function

func init() {
	functions = map[string]function{
		"len": fixed(1, func(a []any) (any, error) {
			if l, ok := a[0].([]string); ok {
				return float64(len(l)), nil
			}
			return float64(len(ToString(a[0]))), nil
		}),
		"to_lower":   str1(strings.ToLower),
		"tolower":    str1(strings.ToLower),
		"to_upper":   str1(strings.ToUpper),
		"toupper":    str1(strings.ToUpper),
		"trim_space": str1(strings.TrimSpace),
		"reverse": str1(func(s string) string {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r)
		}),
		"trim":        str2(strings.Trim),
		"trim_left":   str2(strings.TrimLeft),
		"trim_right":  str2(strings.TrimRight),
		"trim_prefix": str2(strings.TrimPrefix),
		"trim_suffix": str2(strings.TrimSuffix),
		"contains": fixed(2, func(a []any) (any, error) {
			return strings.Contains(ToString(a[0]), ToString(a[1])), nil
		}),
		"icontains": fixed(2, func(a []any) (any, error) {
			return strings.Contains(strings.ToLower(ToString(a[0])), strings.ToLower(ToString(a[1]))), nil
		}),
		"contains_all": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, x := range a[1:] {
				if !strings.Contains(s, ToString(x)) {
					return false, nil
				}
			}
			return true, nil
		}),
		"contains_any": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, x := range a[1:] {
				if strings.Contains(s, ToString(x)) {
					return true, nil
				}
			}
			return false, nil
		}),
		"starts_with": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, x := range a[1:] {
				if strings.HasPrefix(s, ToString(x)) {
					return true, nil
				}
			}
			return false, nil
		}),
		"ends_with": atLeast(2, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, x := range a[1:] {
				if strings.HasSuffix(s, ToString(x)) {
					return true, nil
				}
			}
			return false, nil
		}),
		"line_starts_with": atLeast(2, func(a []any) (any, error) {
			for _, line := range strings.Split(ToString(a[0]), "\n") {
				for _, x := range a[1:] {
					if strings.HasPrefix(line, ToString(x)) {
						return true, nil
					}
				}
			}
			return false, nil
		}),
		"line_ends_with": atLeast(2, func(a []any) (any, error) {
			for _, line := range strings.Split(ToString(a[0]), "\n") {
				for _, x := range a[1:] {
					if strings.HasSuffix(line, ToString(x)) {
						return true, nil
					}
				}
			}
			return false, nil
		}),
		"regex": fixed(2, func(a []any) (any, error) {
			re, err := cachedRegexp(ToString(a[0]))
			if err != nil {
				return nil, err
			}
			return re.MatchString(ToString(a[1])), nil
		}),
		"replace": fixed(3, func(a []any) (any, error) {
			return strings.ReplaceAll(ToString(a[0]), ToString(a[1]), ToString(a[2])), nil
		}),
		"replace_regex": fixed(3, func(a []any) (any, error) {
			re, err := cachedRegexp(ToString(a[1]))
			if err != nil {
				return nil, err
			}
			return re.ReplaceAllString(ToString(a[0]), ToString(a[2])), nil
		}),
		"remove_bad_chars": fixed(2, func(a []any) (any, error) {
			s, bad := ToString(a[0]), ToString(a[1])
			return strings.Map(func(r rune) rune {
				if strings.ContainsRune(bad, r) {
					return -1
				}
				return r
			}, s), nil
		}),
		"concat": func(a []any) (any, error) {
			var b strings.Builder
			for _, x := range a {
				b.WriteString(ToString(x))
			}
			return b.String(), nil
		},
		"split": atLeast(1, func(a []any) (any, error) {
			sep := ","
			if len(a) > 1 {
				sep = ToString(a[1])
			}
			if len(a) > 2 {
				n, _ := toNumber(a[2])
				return strings.SplitN(ToString(a[0]), sep, int(n)), nil
			}
			return strings.Split(ToString(a[0]), sep), nil
		}),
		"join": atLeast(2, func(a []any) (any, error) {
			sep := ToString(a[0])
			var parts []string
			for _, x := range a[1:] {
				if l, ok := x.([]string); ok {
					parts = append(parts, l...)
				} else {
					parts = append(parts, ToString(x))
				}
			}
			return strings.Join(parts, sep), nil
		}),
		"repeat": fixed(2, func(a []any) (any, error) {
			n, ok := toNumber(a[1])
			s := ToString(a[0])
			if !ok || n < 0 || float64(len(s))*n > maxOutput {
				return nil, errors.New("bad count")
			}
			return strings.Repeat(s, int(n)), nil
		}),
		"sort": atLeast(1, func(a []any) (any, error) {
			if len(a) == 1 {
				r := []rune(ToString(a[0]))
				sort.Slice(r, func(i, j int) bool { return r[i] < r[j] })
				return string(r), nil
			}
			parts := strs(a)
			sort.Strings(parts)
			return parts, nil
		}),
		"uniq": atLeast(1, func(a []any) (any, error) {
			if len(a) == 1 {
				seen := map[rune]bool{}
				var b strings.Builder
				for _, r := range ToString(a[0]) {
					if !seen[r] {
						seen[r] = true
						b.WriteRune(r)
					}
				}
				return b.String(), nil
			}
			seen := map[string]bool{}
			var out []string
			for _, s := range strs(a) {
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
			return out, nil
		}),
		"md5":    hash1(md5.New),
		"sha1":   hash1(sha1.New),
		"sha256": hash1(sha256.New),
		"sha512": hash1(sha512.New),
		"mmh3": fixed(1, func(a []any) (any, error) {
			return strconv.FormatInt(int64(int32(murmur3([]byte(ToString(a[0]))))), 10), nil
		}),
		"hmac": fixed(3, func(a []any) (any, error) {
			var h func() hash.Hash
			switch strings.ToLower(ToString(a[0])) {
			case "md5":
				h = md5.New
			case "sha1":
				h = sha1.New
			case "sha256":
				h = sha256.New
			case "sha512":
				h = sha512.New
			default:
				return nil, fmt.Errorf("unknown hash %q", ToString(a[0]))
			}
			m := hmac.New(h, []byte(ToString(a[2])))
			m.Write([]byte(ToString(a[1])))
			return hex.EncodeToString(m.Sum(nil)), nil
		}),
		"base64": str1(func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }),
		"base64_py": str1(func(s string) string {
			enc := base64.StdEncoding.EncodeToString([]byte(s))
			var b strings.Builder
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\n")
			return b.String()
		}),
		"base64_decode": fixed(1, func(a []any) (any, error) {
			s := strings.TrimSpace(ToString(a[0]))
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(s); err == nil {
					return string(b), nil
				}
			}
			return nil, errors.New("not base64")
		}),
		"url_encode": str1(url.QueryEscape),
		"url_decode": fixed(1, func(a []any) (any, error) { return url.QueryUnescape(ToString(a[0])) }),
		"hex_encode": str1(func(s string) string { return hex.EncodeToString([]byte(s)) }),
		"hex_decode": fixed(1, func(a []any) (any, error) {
			b, err := hex.DecodeString(ToString(a[0]))
			return string(b), err
		}),
		"html_escape":   str1(html.EscapeString),
		"html_unescape": str1(html.UnescapeString),
		"gzip": fixed(1, func(a []any) (any, error) {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			w.Write([]byte(ToString(a[0])))
			w.Close()
			return b.String(), nil
		}),
		"gzip_decode": fixed(1, func(a []any) (any, error) {
			r, err := gzip.NewReader(strings.NewReader(ToString(a[0])))
			if err != nil {
				return nil, err
			}
			return readBounded(r)
		}),
		"zlib": fixed(1, func(a []any) (any, error) {
			var b bytes.Buffer
			w := zlib.NewWriter(&b)
			w.Write([]byte(ToString(a[0])))
			w.Close()
			return b.String(), nil
		}),
		"zlib_decode": fixed(1, func(a []any) (any, error) {
			r, err := zlib.NewReader(strings.NewReader(ToString(a[0])))
			if err != nil {
				return nil, err
			}
			return readBounded(r)
		}),
		"aes_gcm": fixed(2, func(a []any) (any, error) {
			block, err := aes.NewCipher([]byte(ToString(a[0])))
			if err != nil {
				return nil, err
			}
			gcm, err := cipher.NewGCM(block)
			if err != nil {
				return nil, err
			}
			nonce := make([]byte, gcm.NonceSize())
			for i := range nonce {
				nonce[i] = byte(rand.IntN(256))
			}
			return string(gcm.Seal(nonce, nonce, []byte(ToString(a[1])), nil)), nil
		}),
		"dec_to_hex": fixed(1, func(a []any) (any, error) {
			n, ok := toNumber(a[0])
			if !ok {
				return nil, errors.New("not a number")
			}
			return strconv.FormatInt(int64(n), 16), nil
		}),
		"hex_to_dec": fixed(1, func(a []any) (any, error) {
			n, err := strconv.ParseInt(strings.TrimPrefix(ToString(a[0]), "0x"), 16, 64)
			return float64(n), err
		}),
		"oct_to_dec": fixed(1, func(a []any) (any, error) {
			n, err := strconv.ParseInt(strings.TrimPrefix(ToString(a[0]), "0o"), 8, 64)
			return float64(n), err
		}),
		"bin_to_dec": fixed(1, func(a []any) (any, error) {
			n, err := strconv.ParseInt(strings.TrimPrefix(ToString(a[0]), "0b"), 2, 64)
			return float64(n), err
		}),
		"to_number": fixed(1, func(a []any) (any, error) {
			n, ok := toNumber(a[0])
			if !ok {
				return nil, fmt.Errorf("%q is not a number", ToString(a[0]))
			}
			return n, nil
		}),
		// print_debug is nuclei's console trace; here it only answers true,
		// as nuclei's does.
		"print_debug": func([]any) (any, error) { return true, nil },
		// wait_for sleeps (time-based checks); bounded so a template cannot
		// hold a worker for long.
		"wait_for": fixed(1, func(a []any) (any, error) {
			n, ok := toNumber(a[0])
			if !ok || n < 0 {
				return nil, errors.New("bad seconds")
			}
			time.Sleep(time.Duration(min(n, 10) * float64(time.Second)))
			return true, nil
		}),
		"to_string": fixed(1, func(a []any) (any, error) { return ToString(a[0]), nil }),
		"tostring":  fixed(1, func(a []any) (any, error) { return ToString(a[0]), nil }),
		"rand_base": atLeast(1, func(a []any) (any, error) {
			n, _ := toNumber(a[0])
			set := letters + digits
			if len(a) > 1 && ToString(a[1]) != "" {
				set = ToString(a[1])
			}
			return randFrom(int(n), set)
		}),
		"rand_char": func(a []any) (any, error) {
			set := letters + digits
			if len(a) > 0 && ToString(a[0]) != "" {
				set = ToString(a[0])
			}
			return randFrom(1, set)
		},
		"rand_text_alpha": atLeast(1, func(a []any) (any, error) {
			n, _ := toNumber(a[0])
			return randFrom(int(n), without(letters, a))
		}),
		"rand_text_alphanumeric": atLeast(1, func(a []any) (any, error) {
			n, _ := toNumber(a[0])
			return randFrom(int(n), without(letters+digits, a))
		}),
		"rand_text_numeric": atLeast(1, func(a []any) (any, error) {
			n, _ := toNumber(a[0])
			return randFrom(int(n), without(digits, a))
		}),
		"rand_int": func(a []any) (any, error) {
			lo, hi := 0.0, float64(1<<31-1)
			if len(a) > 0 {
				lo, _ = toNumber(a[0])
			}
			if len(a) > 1 {
				hi, _ = toNumber(a[1])
			}
			if hi <= lo {
				return lo, nil
			}
			return lo + float64(rand.Int64N(int64(hi-lo))), nil
		},
		"rand_ip": atLeast(1, func(a []any) (any, error) {
			_, n, err := net.ParseCIDR(ToString(a[0]))
			if err != nil {
				return nil, err
			}
			ip := make(net.IP, len(n.IP))
			for i := range ip {
				ip[i] = n.IP[i] | (byte(rand.IntN(256)) &^ n.Mask[i])
			}
			return ip.String(), nil
		}),
		"ip_format": fixed(2, func(a []any) (any, error) {
			ip := net.ParseIP(ToString(a[0])).To4()
			if ip == nil {
				return nil, errors.New("not an IPv4 address")
			}
			n, _ := toNumber(a[1])
			v := binary.BigEndian.Uint32(ip)
			switch int(n) {
			case 1:
				return ip.String(), nil
			case 2:
				return strconv.FormatUint(uint64(v), 10), nil
			case 3:
				return fmt.Sprintf("0x%08x", v), nil
			case 4:
				return fmt.Sprintf("0%o.0%o.0%o.0%o", ip[0], ip[1], ip[2], ip[3]), nil
			case 5:
				return fmt.Sprintf("0x%x.0x%x.0x%x.0x%x", ip[0], ip[1], ip[2], ip[3]), nil
			default:
				return fmt.Sprintf("%d.%d.%d", ip[0], ip[1], uint32(ip[2])<<8|uint32(ip[3])), nil
			}
		}),
		"unix_time": func(a []any) (any, error) {
			off := 0.0
			if len(a) > 0 {
				off, _ = toNumber(a[0])
			}
			return float64(time.Now().Unix()) + off, nil
		},
		"date_time": atLeast(1, func(a []any) (any, error) {
			t := time.Now()
			if len(a) > 1 {
				n, ok := toNumber(a[1])
				if !ok {
					return nil, errors.New("bad unix time")
				}
				t = time.Unix(int64(n), 0)
			}
			return formatDate(ToString(a[0]), t), nil
		}),
		"to_unix_time": atLeast(1, func(a []any) (any, error) {
			s := ToString(a[0])
			for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02", time.RFC1123, time.RFC1123Z} {
				if t, err := time.Parse(layout, s); err == nil {
					return float64(t.Unix()), nil
				}
			}
			return nil, fmt.Errorf("unknown time %q", s)
		}),
		"compare_versions": atLeast(2, func(a []any) (any, error) {
			v := ToString(a[0])
			for _, c := range a[1:] {
				ok, err := versionSatisfies(v, ToString(c))
				if err != nil || !ok {
					return false, err
				}
			}
			return true, nil
		}),
	}
}

// aliases are the older names templates still use.
var aliases = map[string]string{
	"startswith": "starts_with", "endswith": "ends_with", "trimspace": "trim_space",
	"base64decode": "base64_decode", "urlencode": "url_encode", "urldecode": "url_decode",
	"hexencode": "hex_encode", "hexdecode": "hex_decode", "htmlescape": "html_escape", "htmlunescape": "html_unescape",
	"tonumber": "to_number", "replaceregex": "replace_regex", "trimleft": "trim_left", "trimright": "trim_right",
	"trimprefix": "trim_prefix", "trimsuffix": "trim_suffix", "containsall": "contains_all", "containsany": "contains_any",
}

func init() {
	for alias, name := range aliases {
		functions[alias] = functions[name]
	}
}

const (
	letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits  = "0123456789"
)

func without(set string, a []any) string {
	if len(a) < 2 {
		return set
	}
	bad := ToString(a[1])
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(bad, r) {
			return -1
		}
		return r
	}, set)
}

func randFrom(n int, set string) (any, error) {
	if n < 0 || n > 1<<16 || set == "" {
		return nil, errors.New("bad length or empty character set")
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = set[rand.IntN(len(set))]
	}
	return string(b), nil
}

func readBounded(r io.Reader) (any, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxOutput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxOutput {
		return nil, errors.New("output too large")
	}
	return string(b), nil
}

func strs(a []any) []string {
	var out []string
	for _, x := range a {
		if l, ok := x.([]string); ok {
			out = append(out, l...)
		} else {
			out = append(out, ToString(x))
		}
	}
	return out
}

func fixed(n int, f function) function {
	return func(a []any) (any, error) {
		if len(a) != n {
			return nil, fmt.Errorf("takes %d arguments, got %d", n, len(a))
		}
		return f(a)
	}
}

func atLeast(n int, f function) function {
	return func(a []any) (any, error) {
		if len(a) < n {
			return nil, fmt.Errorf("takes at least %d arguments, got %d", n, len(a))
		}
		return f(a)
	}
}

func str1(f func(string) string) function {
	return fixed(1, func(a []any) (any, error) { return f(ToString(a[0])), nil })
}

func str2(f func(string, string) string) function {
	return fixed(2, func(a []any) (any, error) { return f(ToString(a[0]), ToString(a[1])), nil })
}

func hash1(h func() hash.Hash) function {
	return fixed(1, func(a []any) (any, error) {
		x := h()
		x.Write([]byte(ToString(a[0])))
		return hex.EncodeToString(x.Sum(nil)), nil
	})
}

// regexCache keeps the patterns regex() compiles; the set is bounded by the
// templates loaded, since patterns are almost always literals.
var regexCache = newRECache()

func cachedRegexp(p string) (*regexp.Regexp, error) { return regexCache.get(p) }

// formatDate renders nuclei's date_time layouts: %Y-%M-%D %H:%m:%S style
// tokens, or a Go layout.
func formatDate(layout string, t time.Time) string {
	if !strings.Contains(layout, "%") {
		return t.Format(layout)
	}
	r := strings.NewReplacer(
		"%Y", fmt.Sprintf("%04d", t.Year()), "%y", fmt.Sprintf("%02d", t.Year()%100),
		"%M", fmt.Sprintf("%02d", int(t.Month())), "%D", fmt.Sprintf("%02d", t.Day()),
		"%d", fmt.Sprintf("%02d", t.Day()),
		"%H", fmt.Sprintf("%02d", t.Hour()), "%m", fmt.Sprintf("%02d", t.Minute()),
		"%S", fmt.Sprintf("%02d", t.Second()), "%s", fmt.Sprintf("%02d", t.Second()),
	)
	return r.Replace(layout)
}

// versionSatisfies tells whether version v meets a constraint such as
// "<= 5.3.1" or ">1.0, <2" (hashicorp/go-version's syntax, which nuclei
// uses).
func versionSatisfies(v, constraint string) (bool, error) {
	for _, c := range strings.Split(constraint, ",") {
		c = strings.TrimSpace(c)
		op := "="
		for _, o := range []string{">=", "<=", "!=", "~>", ">", "<", "="} {
			if strings.HasPrefix(c, o) {
				op = o
				c = strings.TrimSpace(c[len(o):])
				break
			}
		}
		cmp := compareVersion(v, c)
		var ok bool
		switch op {
		case ">=":
			ok = cmp >= 0
		case "<=":
			ok = cmp <= 0
		case ">":
			ok = cmp > 0
		case "<":
			ok = cmp < 0
		case "!=":
			ok = cmp != 0
		case "~>":
			parts := strings.Split(strings.TrimPrefix(c, "v"), ".")
			upper := parts[0]
			if len(parts) > 1 {
				upper = strings.Join(parts[:len(parts)-1], ".")
			}
			ok = cmp >= 0 && strings.HasPrefix(strings.TrimPrefix(v, "v"), upper)
		default:
			ok = cmp == 0
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func compareVersion(a, b string) int {
	split := func(s string) []string {
		s = strings.TrimPrefix(strings.TrimSpace(s), "v")
		if i := strings.IndexAny(s, "-+ "); i >= 0 {
			s = s[:i]
		}
		return strings.Split(s, ".")
	}
	pa, pb := split(a), split(b)
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// murmur3 is MurmurHash3 x86 32-bit with seed 0, as nuclei's mmh3 (used on
// favicons by Shodan-style fingerprints).
func murmur3(data []byte) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h uint32
	n := len(data) / 4
	for i := 0; i < n; i++ {
		k := binary.LittleEndian.Uint32(data[i*4:])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
		h = h<<13 | h>>19
		h = h*5 + 0xe6546b64
	}
	var k uint32
	tail := data[n*4:]
	switch len(tail) {
	case 3:
		k ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(tail[0])
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(len(data))
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
