package format

import "github.com/garda-id/garda/internal/event"

// Nginx is nginx's access log in the "combined" format (and "main", which
// appends X-Forwarded-For). Fields: source.ip, user.name,
// http.request.method, url.original, url.path, url.query, url.extension,
// http.version, http.response.status_code, http.response.body.bytes,
// http.request.referrer, user_agent.original, @timestamp, event.category
// web, event.action http_request, event.outcome; dataset nginx.access.
type Nginx struct{}

// Name is "nginx".
func (Nginx) Name() string { return "nginx" }

// Parse parses one access log line (see parseCombined).
func (Nginx) Parse(line []byte, ev *event.Event) error {
	return parseCombined(line, ev, "nginx.access")
}

// ParseString is Parse on a line the event may keep (StringParser).
func (Nginx) ParseString(line string, ev *event.Event) error {
	return parseCombinedString(line, ev, "nginx.access")
}
