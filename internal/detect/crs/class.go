package crs

import "strings"

// Class is an attack class, named after the CRS rule file that finds it.
type Class uint8

// The classes. Their order is the order of reports.
const (
	SQLi            Class = iota // 942xxx
	XSS                          // 941xxx
	RCE                          // 932xxx: command injection
	LFI                          // 930xxx: local file inclusion, path traversal
	RFI                          // 931xxx: remote file inclusion
	PHP                          // 933xxx: PHP injection
	Java                         // 944xxx: Java injection, Log4Shell
	SessionFixation              // 943xxx
	Protocol                     // 911xxx, 920xxx, 921xxx, 922xxx: method, protocol enforcement and attacks
	Scanner                      // 913xxx: security scanner user agents
	Generic                      // 934xxx: Node.js, SSRF, prototype pollution, template injection
	numClasses
)

var classNames = [numClasses]string{
	SQLi: "sqli", XSS: "xss", RCE: "rce", LFI: "lfi", RFI: "rfi", PHP: "php", Java: "java",
	SessionFixation: "session-fixation", Protocol: "protocol", Scanner: "scanner", Generic: "generic",
}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// Set is the one-class set.
func (c Class) Set() ClassSet { return 1 << c }

// ClassOfRule is the class of a CRS rule id, by its file's number; ok is
// false for rules outside the attack files (initialisation, scoring).
func ClassOfRule(id int) (Class, bool) {
	switch id / 1000 {
	case 942:
		return SQLi, true
	case 941:
		return XSS, true
	case 932:
		return RCE, true
	case 930:
		return LFI, true
	case 931:
		return RFI, true
	case 933:
		return PHP, true
	case 944:
		return Java, true
	case 943:
		return SessionFixation, true
	case 911, 920, 921, 922:
		return Protocol, true
	case 913:
		return Scanner, true
	case 934:
		return Generic, true
	}
	return 0, false
}

// ClassSet is a set of classes.
type ClassSet uint16

// Has reports whether c is in the set.
func (s ClassSet) Has(c Class) bool { return s&c.Set() != 0 }

// List is the set's classes in report order.
func (s ClassSet) List() []Class {
	var out []Class
	for c := range numClasses {
		if s.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

func (s ClassSet) String() string {
	var b strings.Builder
	for _, c := range s.List() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.String())
	}
	return b.String()
}
