package misp

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/garda-id/garda/internal/intel"
	"github.com/garda-id/garda/internal/policy"
)

// typeOf is the MISP attribute type and category of a Garda kind.
func typeOf(k intel.Kind) (typ, category string) {
	switch k {
	case intel.IPv4, intel.IPv6:
		return "ip-dst", "Network activity"
	case intel.Domain:
		return "domain", "Network activity"
	case intel.URL:
		return "url", "Network activity"
	case intel.Email:
		return "email-src", "Payload delivery"
	case intel.MD5:
		return "md5", "Payload delivery"
	case intel.SHA1:
		return "sha1", "Payload delivery"
	case intel.SHA256:
		return "sha256", "Payload delivery"
	case intel.UserAgent:
		return "user-agent", "Network activity"
	}
	return "text", "Other"
}

// Value is one Garda indicator value an attribute holds.
type Value struct {
	Kind  intel.Kind
	Value string
}

// valuesOf reads the Garda values of a MISP attribute: composite types
// (ip-dst|port, domain|ip, filename|sha256) give their parts Garda holds.
// ok is false for types Garda holds no indicators of (the caller lists
// them as skipped, by type).
func valuesOf(a Attribute) (vals []Value, ok bool) {
	addr := func(s string) (Value, bool) {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Is4() {
				return Value{intel.IPv4, s}, true
			}
			return Value{intel.IPv6, s}, true
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Value{intel.IPv4, s}, true // Normalize says why
		}
		if a.Is4() {
			return Value{intel.IPv4, s}, true
		}
		return Value{intel.IPv6, s}, true
	}
	parts := strings.Split(a.Value, "|")
	part := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	switch a.Type {
	case "ip-src", "ip-dst":
		v, _ := addr(a.Value)
		return []Value{v}, true
	case "ip-src|port", "ip-dst|port":
		v, _ := addr(part(0))
		return []Value{v}, true
	case "domain", "hostname":
		return []Value{{intel.Domain, a.Value}}, true
	case "domain|ip", "hostname|port":
		out := []Value{{intel.Domain, part(0)}}
		if a.Type == "domain|ip" {
			v, _ := addr(part(1))
			out = append(out, v)
		}
		return out, true
	case "url", "link":
		return []Value{{intel.URL, a.Value}}, true
	case "email", "email-src", "email-dst", "email-reply-to":
		return []Value{{intel.Email, a.Value}}, true
	case "md5":
		return []Value{{intel.MD5, a.Value}}, true
	case "sha1":
		return []Value{{intel.SHA1, a.Value}}, true
	case "sha256":
		return []Value{{intel.SHA256, a.Value}}, true
	case "filename|md5":
		return []Value{{intel.MD5, part(1)}}, true
	case "filename|sha1":
		return []Value{{intel.SHA1, part(1)}}, true
	case "filename|sha256":
		return []Value{{intel.SHA256, part(1)}}, true
	case "user-agent":
		return []Value{{intel.UserAgent, a.Value}}, true
	}
	return nil, false
}

// TLP tags as MISP's tlp taxonomy names them, with its colours.
var tlpTags = map[policy.TLP]Tag{
	policy.Clear:       {Name: "tlp:clear", Colour: "#ffffff"},
	policy.Green:       {Name: "tlp:green", Colour: "#339900"},
	policy.Amber:       {Name: "tlp:amber", Colour: "#FFC000"},
	policy.AmberStrict: {Name: "tlp:amber+strict", Colour: "#FFC000"},
	policy.Red:         {Name: "tlp:red", Colour: "#CC0033"},
}

func tlpTag(t policy.TLP) Tag {
	tag := tlpTags[t]
	yes, no := true, false
	tag.Exportable, tag.HideTag = &yes, &no
	return tag
}

// tlpOfTags is the strictest TLP among tags (tlp:white reads as CLEAR);
// ok is false when none is a TLP tag.
func tlpOfTags(tags []Tag) (t policy.TLP, ok bool) {
	for _, tag := range tags {
		var got policy.TLP
		switch strings.ToLower(strings.TrimSpace(tag.Name)) {
		case "tlp:clear", "tlp:white":
			got = policy.Clear
		case "tlp:green":
			got = policy.Green
		case "tlp:amber":
			got = policy.Amber
		case "tlp:amber+strict":
			got = policy.AmberStrict
		case "tlp:red":
			got = policy.Red
		default:
			continue
		}
		if !ok || got.Stricter(t) {
			t, ok = got, true
		}
	}
	return t, ok
}

var (
	techniqueTagRE = regexp.MustCompile(`(?i)^garda:technique="?((T\d{4}(\.\d{3})?)|(CAPEC-\d{1,6}))"?$`)
	galaxyTagRE    = regexp.MustCompile(`^misp-galaxy:mitre-[a-z-]*attack-pattern=".* - (T\d{4}(\.\d{3})?)"$`)
)

// techniquesOf reads ATT&CK and CAPEC ids from tags: Garda's own
// garda:technique="T1190" and MISP's galaxy clusters
// misp-galaxy:mitre-attack-pattern="Exploit Public-Facing Application - T1190".
func techniquesOf(tags ...[]Tag) []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range tags {
		for _, t := range list {
			var id string
			if m := techniqueTagRE.FindStringSubmatch(t.Name); m != nil {
				id = strings.ToUpper(m[1])
			} else if m := galaxyTagRE.FindStringSubmatch(t.Name); m != nil {
				id = m[1]
			}
			if id != "" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}
