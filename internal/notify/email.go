package notify

import (
	"fmt"
	"mime"
	"net/smtp"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
)

// subjects say each event in Bahasa Indonesia, the platform's language (a
// message goes out before anyone chose otherwise).
var subjects = map[string]string{
	IncidentCreated:             "%s membuka %s",
	IncidentUpdated:             "%s mengubah %s",
	IncidentEscalated:           "%s mengeskalasi %s",
	IncidentComment:             "%s mengomentari %s",
	IncidentParticipants:        "%s menambahkan peserta ke %s",
	IncidentTask:                "%s memberi tugas di %s",
	IncidentMention:             "%s menyebut Anda di %s",
	IncidentEscalationRequested: "%s meminta eskalasi %s",
}

// email sends, in the background, one message to each recipient with an
// address. Recipients were judged by the same rule as the inbox, but mail
// leaves the platform (relays, mailboxes, forwards), so it follows the
// webhooks' rule (open): the title only for CLEAR and GREEN; otherwise the
// reference and the incident's page, to be read after signing in.
func (n *Notifier) email(inc incident.Incident, actor string, recipients []auth.User, events map[int64]string) {
	send := n.sendMail
	if send == nil {
		send = func(_ string, _ any, _ string, to []string, msg []byte) error { return n.SMTP.Send(to, msg) }
	}
	var a smtp.Auth // the test hook's argument; SMTP.Send makes its own
	type msg struct {
		to   string
		body []byte
	}
	var msgs []msg
	for _, u := range recipients {
		if u.Email == "" || strings.ContainsAny(u.Email, "\r\n") {
			continue
		}
		what := fmt.Sprintf(subjects[events[u.ID]], actor, inc.HumanID)
		subject, detail := "[Garda] "+what, inc.HumanID+" "+inc.Title
		if open(inc.TLP) {
			subject += ": " + inc.Title
		} else {
			detail = "Buka di Garda: /insiden/" + inc.HumanID
		}
		body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s.\r\n\r\n%s\r\n",
			n.SMTP.From, u.Email, mime.QEncoding.Encode("utf-8", subject), time.Now().UTC().Format(time.RFC1123Z), what, detail)
		msgs = append(msgs, msg{u.Email, []byte(body)})
	}
	if len(msgs) == 0 {
		return
	}
	go func() {
		for _, m := range msgs {
			if err := send(n.SMTP.Addr, a, n.SMTP.From, []string{m.to}, m.body); err != nil {
				n.Log.Warn("notification email not sent", "incident", inc.HumanID, "to", m.to, "err", err)
			}
		}
	}()
}

// Send hands one message to the configured SMTP server, with PLAIN auth
// when a username is set. The takedown letters go out through it too.
func (c SMTP) Send(to []string, msg []byte) error {
	if c.Addr == "" {
		return fmt.Errorf("email is off: no SMTP server configured")
	}
	var a smtp.Auth
	if c.Username != "" {
		host := c.Addr
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		a = smtp.PlainAuth("", c.Username, c.Password, host)
	}
	return smtp.SendMail(c.Addr, a, c.From, to, msg)
}
