package notify

import (
	"context"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// TellTakedown puts an entry about takedown request id in the inboxes of
// userIDs (the issuing agency's people): its deadline nears or passed, or
// it climbed a warning stage (actor is then the stage's letter). An entry
// stays visible while its recipient may read the request (entryVisible).
// With an SMTP server set, each recipient with an address is also
// e-mailed, in the background as the incidents' mail is; a message that
// cannot go is logged, and the inbox entry stays.
func (n *Notifier) TellTakedown(ctx context.Context, id int64, userIDs []int64, event, actor string) error {
	n.defaults()
	now := store.Now()
	err := n.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range userIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, takedown_id, event, actor, created_at) VALUES (?, ?, ?, ?, ?)`,
				u, id, event, actor, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || n.SMTP.Addr == "" || len(userIDs) == 0 {
		return err
	}
	if err := n.emailTakedown(ctx, id, userIDs, event, actor); err != nil {
		n.Log.WarnContext(ctx, "takedown notice not e-mailed", "takedown", id, "event", event, "err", err)
	}
	return nil
}

// takedownSubjects say each takedown event in Bahasa Indonesia.
var takedownSubjects = map[string]string{
	takedown.EventDeadlineNear:   "Tenggat %s segera berakhir",
	takedown.EventDeadlineMissed: "Tenggat %s terlewati",
	takedown.EventStage:          "%s naik ke tahap %s",
}

// stageNames name the warning stages' letters.
var stageNames = map[string]string{
	takedown.LetterWarn1: "teguran 1", takedown.LetterWarn2: "teguran 2", takedown.LetterWarn3: "teguran 3", takedown.LetterCut: "pemutusan akses",
}

// emailTakedown mails one takedown notice to each of userIDs with an
// address. Mail leaves the platform, so it follows the webhooks' rule
// (open): the request's summary only for CLEAR and GREEN; otherwise its
// number and page, to be read after signing in.
func (n *Notifier) emailTakedown(ctx context.Context, id int64, userIDs []int64, event, actor string) error {
	format, ok := takedownSubjects[event]
	if !ok {
		return fmt.Errorf("unknown takedown event %q", event)
	}
	var number, summary string
	var tlp policy.TLP
	if err := n.DB.QueryRow(ctx, `SELECT COALESCE(number, ''), summary, tlp FROM takedowns WHERE id = ?`, id).Scan(&number, &summary, &tlp); err != nil {
		return fmt.Errorf("read request %d: %w", id, err)
	}
	rows, err := n.DB.Query(ctx, `SELECT email FROM users WHERE id IN (`+store.In(len(userIDs))+`) AND disabled_at IS NULL AND email <> '' ORDER BY id`, anys(userIDs)...)
	if err != nil {
		return err
	}
	to, err := store.Collect(rows, func(s store.Scanner) (string, error) {
		var e string
		return e, s.Scan(&e)
	})
	if err != nil {
		return err
	}
	what := fmt.Sprintf(format, number)
	if event == takedown.EventStage {
		what = fmt.Sprintf(format, number, stageNames[actor])
	}
	detail := "Buka di Garda: /penurunan-konten/" + fmt.Sprint(id)
	if open(tlp) {
		detail = summary + "\r\n\r\n" + detail
	}
	send := n.sendMail
	if send == nil {
		send = func(_ string, _ any, _ string, to []string, msg []byte) error { return n.SMTP.Send(to, msg) }
	}
	var msgs [][2]string
	for _, addr := range to {
		if strings.ContainsAny(addr, "\r\n") {
			continue
		}
		body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s.\r\n\r\n%s\r\n",
			n.SMTP.From, addr, mime.QEncoding.Encode("utf-8", "[Garda] "+what), time.Now().UTC().Format(time.RFC1123Z), what, detail)
		msgs = append(msgs, [2]string{addr, body})
	}
	go func() {
		for _, m := range msgs {
			if err := send(n.SMTP.Addr, nil, n.SMTP.From, []string{m[0]}, []byte(m[1])); err != nil {
				n.Log.Warn("takedown notice not e-mailed", "takedown", number, "to", m[0], "err", err)
			}
		}
	}()
	return nil
}

var _ takedown.Teller = (*Notifier)(nil)

// TakedownOutbox carries takedown letters with the notifier's parts: its
// SMTP server (when configured) and its webhook signature.
func (n *Notifier) TakedownOutbox() *takedown.Outbox {
	o := &takedown.Outbox{From: n.SMTP.From, Sign: Sign}
	if n.SMTP.Addr != "" {
		o.Mail = n.SMTP.Send
	}
	return o
}
