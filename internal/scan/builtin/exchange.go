package builtin

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// exchangeBodyLimit bounds the body an exposure's evidence keeps: enough
// to show what was exposed, not a copy of it.
const exchangeBodyLimit = 2048

var (
	// reAssignment is a KEY=value line of an .env file: the value goes.
	reAssignment = regexp.MustCompile(`(?m)^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=).*$`)
	// reUserinfo is a URL's user:password@ (a git remote's token).
	reUserinfo = regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`)
)

// redact takes the secrets out of an exposed file's text: every value of
// an assignment when secrets is set (the .env check names the keys, never
// their values), and a URL's credentials always.
func redact(body string, secrets bool) string {
	if secrets {
		body = reAssignment.ReplaceAllString(body, "${1}[redacted]")
	}
	return reUserinfo.ReplaceAllString(body, "://[redacted]@")
}

// bodyKept says how much of an exposed file's body its evidence keeps.
type bodyKept int

const (
	bodyStart   bodyKept = iota // the start, a URL's credentials taken out
	bodyRedact                  // the start, every assignment's value taken out (.env)
	bodyNothing                 // its size only (backups and dumps: voter data, source)
)

// exchange is the request and the response behind an exposure, as the
// finding's evidence: the GET that asked, the status, headers and as much
// of the body as kept says, secrets taken out.
func exchange(s site, path string, status int, h http.Header, body []byte, kept bodyKept) (string, string) {
	host := s.host
	if s.port != "" && !(s.scheme == "http" && s.port == "80") && !(s.scheme == "https" && s.port == "443") {
		host = net.JoinHostPort(s.host, s.port)
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host)
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if kept == bodyNothing {
		fmt.Fprintf(&b, "[%d bytes, not kept: a backup or a dump may hold personal data]", len(body))
		return req, b.String()
	}
	text := string(body)
	cut := len(text) > exchangeBodyLimit
	if cut {
		text = strings.ToValidUTF8(text[:exchangeBodyLimit], "")
	}
	b.WriteString(redact(text, kept == bodyRedact))
	if cut {
		fmt.Fprintf(&b, "\n[… %d bytes in all]", len(body))
	}
	return req, b.String()
}
