package takedown

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Outbox carries letters to platforms: by e-mail with the letter's PDF
// attached (through the notifier's SMTP settings and code), or to the
// platform's API as a JSON document signed like Garda's webhooks
// (X-Garda-Signature: HMAC-SHA256 of the body under the platform's secret).
// A platform reached by web form gets nothing from Garda: the sender fills
// the form and the request records that it went that way.
//
// The parts are package notify's, given by the caller (notify imports this
// package to tell people of deadlines): Mail is notify.SMTP.Send, Sign is
// notify.Sign.
type Outbox struct {
	From string                                  // the sender's address
	Mail func(to []string, msg []byte) error     // hands a message to the SMTP server; nil: no e-mail
	Sign func(secret string, body []byte) string // the X-Garda-Signature of a body
	HTTP *http.Client                            // default: 15 s timeout, redirects not followed
}

func (o *Outbox) client() *http.Client {
	if o.HTTP != nil {
		return o.HTTP
	}
	return &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// deliver sends letter l to platform p by channel and says where it went.
// An error means it did not go: the caller changes nothing.
func (o *Outbox) deliver(ctx context.Context, p Platform, secret string, l Letter, channel string) (string, error) {
	switch channel {
	case ChannelEmail:
		if o.Mail == nil {
			return "", errNotConfigured
		}
		if p.Email == "" {
			return "", errors.New("the platform has no e-mail address")
		}
		msg, err := LetterMail(o.From, p.Email, l)
		if err != nil {
			return "", err
		}
		if err := o.Mail([]string{p.Email}, msg); err != nil {
			return "", fmt.Errorf("e-mail to %s: %w", p.Email, err)
		}
		return p.Email, nil
	case ChannelAPI:
		if o.Sign == nil || secret == "" {
			return "", errNotConfigured
		}
		if p.APIURL == "" {
			return "", errors.New("the platform has no API URL")
		}
		body, err := json.Marshal(map[string]any{
			"event": "takedown.letter", "kind": l.Kind, "number": l.Number, "subject": l.Subject, "date": l.Date,
			"from": l.From, "to": l.To, "tlp": l.TLP, "urls": l.URLsToAct(), "text": l.Text(),
			"pdf": base64.StdEncoding.EncodeToString(l.PDF()),
		})
		if err != nil {
			return "", err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.APIURL, bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Garda-Event", "takedown.letter")
		req.Header.Set("X-Garda-Signature", o.Sign(secret, body))
		resp, err := o.client().Do(req)
		if err != nil {
			return "", fmt.Errorf("API of %s: %w", p.Name, err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode/100 != 2 {
			return "", fmt.Errorf("API of %s answered %s", p.Name, resp.Status)
		}
		return p.APIURL, nil
	case ChannelWebForm:
		return p.WebFormURL, nil // filled by hand; recorded as sent that way
	}
	return "", fmt.Errorf("unknown channel %q", channel)
}

// errNotConfigured: Garda has no way to carry the letter by that channel
// here (no SMTP server, no shared secret with the platform's API). The
// request is then recorded as sent by that channel, the letter carried by
// hand, as before Garda sent letters itself.
var errNotConfigured = errors.New("not configured")

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// LetterFile is the file name of a letter's PDF.
func LetterFile(l Letter) string { return unsafeName.ReplaceAllString(l.Number, "_") + ".pdf" }

// LetterMail writes the e-mail that carries a letter: its text as the body,
// its PDF attached.
func LetterMail(from, to string, l Letter) ([]byte, error) {
	if strings.ContainsAny(from+to, "\r\n") {
		return nil, errors.New("an address holds a line break")
	}
	rnd := make([]byte, 12)
	if _, err := rand.Read(rnd); err != nil {
		return nil, err
	}
	boundary := "garda-" + hex.EncodeToString(rnd)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=%q\r\n\r\n",
		from, to, mime.QEncoding.Encode("utf-8", "[Garda] "+l.Number+" "+l.Subject), time.Now().UTC().Format(time.RFC1123Z), boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary)
	writeBase64(&b, []byte(l.Text()))
	fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		boundary, LetterFile(l), LetterFile(l))
	writeBase64(&b, l.PDF())
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

// writeBase64 writes data in base64 lines of 76 characters.
func writeBase64(b *bytes.Buffer, data []byte) {
	s := base64.StdEncoding.EncodeToString(data)
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
}
