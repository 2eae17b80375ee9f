package match

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strings"

	"github.com/garda-id/garda/internal/intel"
)

// GenIndicators makes n detection indicators for tests and benchmarks, a
// quarter each of addresses (100.64.0.0/10), CIDR ranges (172.16.0.0/12
// and 10.0.0.0/8 as /16 to /28, some IPv6 in 2001:db8:c000::/36), domains
// and URLs on made-up names: none of them is in a log of the simulator
// (internal/simulate) or of ../shared/bench/genlog.py, whose clients are in
// 36.64.0.0/10, 103.100.0.0/16-103.149.0.0/16 and the documentation ranges.
// Ids run from 1.
func GenIndicators(n int, seed uint64) []Entry {
	r := rand.New(rand.NewPCG(seed, 0x696e74656c))
	out := make([]Entry, 0, n)
	seen := map[string]bool{}
	add := func(k intel.Kind, v string) {
		if seen[string(k)+v] {
			return
		}
		seen[string(k)+v] = true
		out = append(out, Entry{ID: int64(len(out) + 1), Kind: k, Value: v, Confidence: 40 + r.IntN(60)})
	}
	for len(out) < n {
		switch len(out) % 4 {
		case 0:
			add(intel.IPv4, netip.AddrFrom4([4]byte{100, byte(64 + r.IntN(64)), byte(r.IntN(256)), byte(1 + r.IntN(254))}).String())
		case 1:
			if r.IntN(10) == 0 {
				p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xc0 | byte(r.IntN(16)), byte(r.IntN(256)), byte(r.IntN(256))}), 40+r.IntN(25)).Masked()
				add(intel.IPv6, p.String())
				continue
			}
			var a netip.Addr
			if r.IntN(2) == 0 {
				a = netip.AddrFrom4([4]byte{172, byte(16 + r.IntN(16)), byte(r.IntN(256)), byte(r.IntN(256))})
			} else {
				a = netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
			}
			add(intel.IPv4, netip.PrefixFrom(a, 16+r.IntN(13)).Masked().String())
		case 2:
			add(intel.Domain, genDomain(r))
		case 3:
			add(intel.URL, "https://"+genDomain(r)+"/"+genLabel(r, 4, 10)+"/"+genLabel(r, 4, 12)+".php")
		}
	}
	return out
}

var tlds = []string{"xyz", "top", "info", "click", "online", "site", "co.id", "web.id"}

func genDomain(r *rand.Rand) string {
	return genLabel(r, 6, 14) + "-" + genLabel(r, 3, 6) + "." + tlds[r.IntN(len(tlds))]
}

func genLabel(r *rand.Rand, lo, hi int) string {
	b := make([]byte, lo+r.IntN(hi-lo+1))
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
	}
	if b[0] >= '0' && b[0] <= '9' {
		b[0] = 'k'
	}
	return string(b)
}

// Planted is one line Plant put in a log: its line number (1-based, in
// the output) and the indicator it carries.
type Planted struct {
	Line  int64
	Entry Entry
}

// Plant copies an nginx log from r to w with one line carrying each of
// the chosen indicators put in after every `every` lines (or at the end),
// its time copied from the line before: an address or an address inside a
// range as the client, a domain as the Referer's host (a sub-domain of
// it), a URL as the Referer or inside the target's redirect parameter,
// percent-encoded. It returns the planted lines.
func Plant(w io.Writer, r io.Reader, chosen []Entry, every int, seed uint64) ([]Planted, error) {
	rng := rand.New(rand.NewPCG(seed, 0x706c616e74))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	bw := bufio.NewWriterSize(w, 1<<16)
	var out []Planted
	var n int64
	stamp := "[14/Feb/2024:06:00:00 +0700]"
	plant := func() error {
		e := chosen[len(out)]
		line, err := plantedLine(rng, e, stamp)
		if err != nil {
			return err
		}
		n++
		out = append(out, Planted{Line: n, Entry: e})
		_, err = bw.WriteString(line + "\n")
		return err
	}
	read := 0
	for sc.Scan() {
		l := sc.Bytes()
		n++
		bw.Write(l)
		bw.WriteByte('\n')
		if i := bytes.IndexByte(l, '['); i >= 0 {
			if j := bytes.IndexByte(l[i:], ']'); j > 0 {
				stamp = string(l[i : i+j+1])
			}
		}
		read++
		if read%every == 0 && len(out) < len(chosen) {
			if err := plant(); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for len(out) < len(chosen) {
		if err := plant(); err != nil {
			return nil, err
		}
	}
	return out, bw.Flush()
}

const plantedUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"

func plantedLine(r *rand.Rand, e Entry, stamp string) (string, error) {
	ip := fmt.Sprintf("36.%d.%d.%d", 64+r.IntN(60), r.IntN(256), 1+r.IntN(254))
	target, ref, ua := fmt.Sprintf("/berita/%d/pengumuman", r.IntN(9000)), "https://kpu.example.id/", plantedUA
	switch e.Kind {
	case intel.IPv4, intel.IPv6:
		if strings.Contains(e.Value, "/") {
			p := netip.MustParsePrefix(e.Value)
			b := p.Addr().AsSlice()
			for i := range b { // random host bits
				bit := i * 8
				if bit+8 > p.Bits() {
					keep := max(0, p.Bits()-bit)
					b[i] = b[i] | byte(r.IntN(256))&(0xff>>keep)
				}
			}
			a, _ := netip.AddrFromSlice(b)
			ip = a.String()
		} else {
			ip = e.Value
		}
	case intel.Domain:
		ref = "https://" + []string{"www.", "m.", "login.", ""}[r.IntN(4)] + e.Value + "/" + genLabel(r, 3, 8)
	case intel.URL:
		if r.IntN(2) == 0 {
			ref = e.Value
		} else {
			target = "/login?next=" + url.QueryEscape(e.Value)
		}
	case intel.UserAgent:
		ua = e.Value
	case intel.MD5, intel.SHA1, intel.SHA256:
		target = "/unduh?sha=" + e.Value
	default:
		return "", fmt.Errorf("cannot plant a %s indicator", e.Kind)
	}
	return fmt.Sprintf("%s - - %s \"GET %s HTTP/1.1\" 200 %d \"%s\" \"%s\"", ip, stamp, target, 500+r.IntN(40000), ref, ua), nil
}

// Choose picks k indicators of each kind in entries, spread over them.
func Choose(entries []Entry, k int) []Entry {
	byKind := map[string][]Entry{}
	var order []string
	for _, e := range entries {
		key := string(e.Kind)
		if (e.Kind == intel.IPv4 || e.Kind == intel.IPv6) && strings.Contains(e.Value, "/") {
			key = "cidr"
		}
		if _, ok := byKind[key]; !ok {
			order = append(order, key)
		}
		byKind[key] = append(byKind[key], e)
	}
	var out []Entry
	for _, key := range order {
		es := byKind[key]
		step := max(1, len(es)/k)
		for i := 0; i < len(es) && i/step < k; i += step {
			out = append(out, es[i])
		}
	}
	return out
}
