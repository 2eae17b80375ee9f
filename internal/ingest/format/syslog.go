package format

import (
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/syslog"
)

// Syslog is any syslog message: RFC 5424, RFC 3164, or a line of a syslog
// file ("Jan  5 10:00:01 host prog[pid]: text", with a BSD or RFC 3339
// stamp). Fields: @timestamp, host.hostname, process.name (APP-NAME or
// TAG), message; dataset system.syslog. Structured data is checked and
// skipped; the priority, pid and MSGID have no event field and are
// dropped.
type Syslog struct {
	// Options completes RFC 3164 timestamps (year, zone); the zero value
	// uses the clock and time.Local.
	Options syslog.Options
}

// Name is "syslog".
func (*Syslog) Name() string { return "syslog" }

// Parse parses one message.
func (f *Syslog) Parse(line []byte, ev *event.Event) error {
	ev.Reset()
	if len(line) == 0 {
		return errEmpty
	}
	var m syslog.Message
	if err := syslog.Parse(string(line), &m, &f.Options); err != nil {
		return err
	}
	setSyslog(ev, &m)
	ev.Dataset = "system.syslog"
	return nil
}

func setSyslog(ev *event.Event, m *syslog.Message) {
	ev.Time = m.Time
	ev.Set(event.HostName, m.Hostname)
	ev.Set(event.ProcessName, m.AppName)
	ev.Set(event.Message, m.Text)
}
