package format

import "github.com/garda-id/garda/internal/event"

// Apache is Apache httpd's access log in the combined, common or
// vhost_combined format. It fills the same fields as Nginx (url.domain
// too, from vhost_combined); dataset apache.access.
type Apache struct{}

// Name is "apache".
func (Apache) Name() string { return "apache" }

// Parse parses one access log line (see parseCombined).
func (Apache) Parse(line []byte, ev *event.Event) error {
	return parseCombined(line, ev, "apache.access")
}

// ParseString is Parse on a line the event may keep (StringParser).
func (Apache) ParseString(line string, ev *event.Event) error {
	return parseCombinedString(line, ev, "apache.access")
}
