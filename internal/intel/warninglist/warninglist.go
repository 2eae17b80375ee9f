// Package warninglist holds MISP warninglists: lists of known-benign
// addresses and domains (public DNS resolvers, CDN ranges, the large
// platforms' domains) in MISP's own JSON format (misp-warninglists, CC0),
// and tells whether a value is on one. Garda ships a small set as data
// (lists/*.json) and applies it wherever an indicator is made, so a
// resolver or a CDN never becomes an indicator.
package warninglist

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strings"
	"sync"
)

// List is one warninglist as MISP writes it.
type List struct {
	Name               string   `json:"name"`
	Version            int      `json:"version"`
	Description        string   `json:"description"`
	MatchingAttributes []string `json:"matching_attributes"`
	Type               string   `json:"type"` // cidr, hostname, string, substring
	List               []string `json:"list"`

	File     string         `json:"-"` // the file's base name, without .json
	prefixes []netip.Prefix // type cidr
	names    map[string]bool
}

// Hit names the list a value is on and the entry it matched.
type Hit struct {
	List  string // file name, e.g. public-dns-v4
	Name  string // the list's own name
	Entry string
}

func (h Hit) String() string {
	return fmt.Sprintf("warninglist %s (%s): %s", h.File(), h.Name, h.Entry)
}

// File is the list's file name.
func (h Hit) File() string { return h.List }

//go:embed lists/*.json
var shipped embed.FS

var (
	loadOnce sync.Once
	lists    []*List
	loadErr  error
)

// Parse reads one warninglist in MISP's format and prepares it.
func Parse(name string, data []byte) (*List, error) {
	var l List
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("warninglist %s: %w", name, err)
	}
	if l.Name == "" || len(l.List) == 0 {
		return nil, fmt.Errorf("warninglist %s: no name or an empty list", name)
	}
	l.File = name
	switch l.Type {
	case "cidr":
		for _, e := range l.List {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				a, aerr := netip.ParseAddr(e)
				if aerr != nil {
					return nil, fmt.Errorf("warninglist %s: %q is neither an address nor a range", name, e)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			l.prefixes = append(l.prefixes, p.Masked())
		}
	case "hostname", "string":
		l.names = map[string]bool{}
		for _, e := range l.List {
			l.names[strings.TrimSuffix(strings.ToLower(strings.TrimSpace(e)), ".")] = true
		}
	default:
		return nil, fmt.Errorf("warninglist %s: type %q is not one Garda applies (cidr, hostname, string)", name, l.Type)
	}
	return &l, nil
}

// Shipped returns the lists Garda ships, by file name.
func Shipped() ([]*List, error) {
	loadOnce.Do(func() {
		ents, err := shipped.ReadDir("lists")
		if err != nil {
			loadErr = err
			return
		}
		for _, e := range ents {
			b, err := shipped.ReadFile(path.Join("lists", e.Name()))
			if err != nil {
				loadErr = err
				return
			}
			l, err := Parse(strings.TrimSuffix(e.Name(), ".json"), b)
			if err != nil {
				loadErr = err
				return
			}
			lists = append(lists, l)
		}
		sort.Slice(lists, func(i, j int) bool { return lists[i].File < lists[j].File })
	})
	return lists, loadErr
}

// Address reports whether an address or a range overlaps a cidr list: an
// address inside a listed range, or a range holding a listed one (a /8
// holding 8.8.8.8 would block the resolver too).
func Address(value string) (Hit, bool) {
	var p netip.Prefix
	if strings.Contains(value, "/") {
		var err error
		if p, err = netip.ParsePrefix(value); err != nil {
			return Hit{}, false
		}
		p = p.Masked()
	} else {
		a, err := netip.ParseAddr(value)
		if err != nil {
			return Hit{}, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	ls, _ := Shipped()
	for _, l := range ls {
		for _, q := range l.prefixes {
			if q.Overlaps(p) {
				return Hit{List: l.File, Name: l.Name, Entry: q.String()}, true
			}
		}
	}
	return Hit{}, false
}

// Domain reports whether a domain name, or a name it is under, is on a
// hostname list ("www.google.com" is under "google.com"), or is exactly on
// a string list.
func Domain(value string) (Hit, bool) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(value)), ".")
	if d == "" {
		return Hit{}, false
	}
	ls, _ := Shipped()
	for _, l := range ls {
		if l.names == nil {
			continue
		}
		if l.names[d] {
			return Hit{List: l.File, Name: l.Name, Entry: d}, true
		}
		if l.Type != "hostname" {
			continue
		}
		for s := d; ; {
			i := strings.IndexByte(s, '.')
			if i < 0 {
				break
			}
			s = s[i+1:]
			if l.names[s] {
				return Hit{List: l.File, Name: l.Name, Entry: s}, true
			}
		}
	}
	return Hit{}, false
}
