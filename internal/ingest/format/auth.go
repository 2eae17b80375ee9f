package format

import (
	"strings"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/syslog"
)

// Auth is an authentication log (/var/log/auth.log, /var/log/secure,
// journald, or auth messages sent over syslog) in any envelope Syslog
// reads. Every line gets @timestamp, host.hostname, process.name, message,
// event.category authentication and dataset system.auth; the messages
// below also get event.action, event.outcome, user.name and source.ip:
//
//	sshd  Accepted|Failed <method> for [invalid user] U from IP port N   ssh_login success|failure
//	sshd  error: maximum authentication attempts exceeded for U from IP  ssh_login failure
//	sshd  Disconnecting authenticating|invalid user U IP port N: Too many authentication failures  ssh_login failure
//	sshd  User U from IP not allowed because ...                         ssh_login failure
//	sshd  Invalid user U from IP [port N]                                ssh_invalid_user failure
//	sshd  Connection closed by|Disconnected from [authenticating|invalid] user U IP port N [preauth]
//	                                                                    ssh_disconnect failure
//	sshd  Disconnected from user U IP port N                              ssh_disconnect success
//	sshd  Connection closed by|Received disconnect from IP port N ... [preauth]   ssh_disconnect failure
//	sshd  Did not receive identification string from IP, Unable to negotiate with IP,
//	      banner exchange: Connection from IP, Bad protocol version identification ... from IP
//	                                                                    ssh_connection failure
//	PAM   pam_unix(S:auth): authentication failure; ... rhost=IP user=U  pam_authentication failure
//	PAM   PAM N more authentication failures; ... rhost=IP user=U       pam_authentication failure
//	PAM   pam_unix(S:session): session opened|closed for user U          session_open|session_close success
//	sudo  U : TTY=.. ; PWD=.. ; USER=.. ; COMMAND=..                     sudo success
//	sudo  U : 3 incorrect password attempts|user NOT in sudoers ; ...   sudo failure
//	su    (to T) U on TTY, FAILED SU (to T) U on TTY                     su success|failure
//
// sshd's messages are known by their text, so OpenSSH 9.8's sshd-session
// is read too; "message repeated N times: [ ... ]" is read as its inner
// message. Any other line is kept with the common fields only.
type Auth struct {
	// Options completes RFC 3164 timestamps (year, zone); the zero value
	// uses the clock and time.Local.
	Options syslog.Options
}

// Name is "auth".
func (*Auth) Name() string { return "auth" }

// Parse parses one auth log line.
func (f *Auth) Parse(line []byte, ev *event.Event) error {
	ev.Reset()
	if len(line) == 0 {
		return errEmpty
	}
	var m syslog.Message
	if err := syslog.Parse(string(line), &m, &f.Options); err != nil {
		return err
	}
	setSyslog(ev, &m)
	ev.Dataset = "system.auth"
	ev.Set(event.EventCategory, "authentication")
	text := m.Text
	if rest, ok := strings.CutPrefix(text, "message repeated "); ok {
		if i := strings.Index(rest, " times: [ "); i >= 0 {
			text = strings.TrimSuffix(rest[i+len(" times: [ "):], "]")
		}
	}
	switch {
	case m.AppName == "sudo":
		authSudo(ev, text)
	case m.AppName == "su":
		authSu(ev, text)
	}
	if ev.Get(event.EventAction) == "" {
		authSSH(ev, text)
	}
	if ev.Get(event.EventAction) == "" {
		authPAM(ev, text)
	}
	return nil
}

func authResult(ev *event.Event, action, outcome, user, ip string) {
	ev.Set(event.EventAction, action)
	ev.Set(event.EventOutcome, outcome)
	ev.Set(event.UserName, user)
	if a, text, ok := parseIP(ip); ok {
		ev.IP = a
		ev.Set(event.SourceIP, text)
	}
}

// authSSH reads sshd's messages.
func authSSH(ev *event.Event, s string) {
	switch {
	case strings.HasPrefix(s, "Accepted ") || strings.HasPrefix(s, "Failed "):
		// "Accepted publickey for kpu from 1.2.3.4 port 22 ssh2: RSA SHA256:..."
		// "Failed password for invalid user admin from 1.2.3.4 port 22 ssh2"
		_, rest, ok := strings.Cut(s, " for ")
		if !ok {
			return
		}
		user, ip, ok := userFrom(rest)
		if !ok {
			return
		}
		outcome := outcomeSuccess
		if s[0] == 'F' {
			outcome = outcomeFailure
		}
		authResult(ev, "ssh_login", outcome, user, ip)
	case strings.HasPrefix(s, "error: maximum authentication attempts exceeded for "):
		if user, ip, ok := userFrom(s[len("error: maximum authentication attempts exceeded for "):]); ok {
			authResult(ev, "ssh_login", outcomeFailure, user, ip)
		}
	case strings.HasPrefix(s, "Disconnecting ") && strings.Contains(s, "Too many authentication failures"):
		if user, ip, ok := userIP(s[len("Disconnecting "):]); ok {
			authResult(ev, "ssh_login", outcomeFailure, user, ip)
		}
	case strings.HasPrefix(s, "User ") && strings.Contains(s, " not allowed because "):
		// "User root from 1.2.3.4 not allowed because not listed in AllowUsers"
		rest := s[len("User "):]
		if i := strings.LastIndex(rest, " from "); i >= 0 {
			ip, _, _ := strings.Cut(rest[i+len(" from "):], " ")
			authResult(ev, "ssh_login", outcomeFailure, rest[:i], ip)
		}
	case strings.HasPrefix(s, "Invalid user "):
		// "Invalid user admin from 1.2.3.4 port 22", the name possibly empty.
		if user, ip, ok := userFrom(s[len("Invalid user "):]); ok {
			authResult(ev, "ssh_invalid_user", outcomeFailure, user, ip)
		}
	case strings.HasPrefix(s, "Connection closed by ") || strings.HasPrefix(s, "Disconnected from ") ||
		strings.HasPrefix(s, "Received disconnect from "):
		preauth := strings.HasSuffix(s, "[preauth]")
		rest := s[strings.Index(s, " by ")+len(" by "):]
		if s[0] != 'C' {
			rest = s[strings.Index(s, " from ")+len(" from "):]
		}
		user, ip, ok := userIP(rest)
		if !ok {
			return
		}
		outcome := outcomeFailure
		if !preauth {
			outcome = outcomeSuccess // a session that had logged in, ending
			if user == "" {
				outcome = outcomeUnknown
			}
		}
		authResult(ev, "ssh_disconnect", outcome, user, ip)
	case strings.HasPrefix(s, "Did not receive identification string from "),
		strings.HasPrefix(s, "Unable to negotiate with "),
		strings.HasPrefix(s, "banner exchange: Connection from "),
		strings.HasPrefix(s, "Bad protocol version identification "):
		i := strings.LastIndex(s, " from ")
		if i < 0 {
			i = strings.Index(s, " with ") // the same length as " from "
		}
		if i < 0 {
			return
		}
		ip, _, _ := strings.Cut(s[i+len(" from "):], " ")
		authResult(ev, "ssh_connection", outcomeFailure, "", strings.TrimSuffix(ip, ":"))
	}
}

// userFrom reads "[invalid user ]U from IP[ port N ...]". The name may
// hold spaces or be empty, so the last " from " ends it.
func userFrom(s string) (user, ip string, ok bool) {
	s = strings.TrimPrefix(s, "invalid user ")
	rest := ""
	if i := strings.LastIndex(s, " from "); i >= 0 {
		user, rest = s[:i], s[i+len(" from "):]
	} else if r, found := strings.CutPrefix(s, "from "); found {
		rest = r // an empty name, its space already cut
	} else {
		return "", "", false
	}
	ip, _, _ = strings.Cut(rest, " ")
	return user, ip, true
}

// userIP reads "[authenticating |invalid ]user U IP port N..." or
// "IP port N...".
func userIP(s string) (user, ip string, ok bool) {
	i := strings.Index(s, " port ")
	if i < 0 {
		return "", "", false
	}
	s = s[:i]
	if j := strings.LastIndexByte(s, ' '); j >= 0 {
		ip = s[j+1:]
		s = s[:j]
		for _, p := range [...]string{"authenticating user ", "invalid user ", "user "} {
			if u, found := strings.CutPrefix(s, p); found {
				return u, ip, true
			}
		}
		return "", ip, s == ""
	}
	return "", s, true
}

// authPAM reads pam_unix's and PAM's messages, from any program.
func authPAM(ev *event.Event, s string) {
	switch {
	case strings.Contains(s, "authentication failure;"):
		// "pam_unix(sshd:auth): authentication failure; logname= uid=0
		// euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"
		authResult(ev, "pam_authentication", outcomeFailure, pamValue(s, "user"), pamValue(s, "rhost"))
	case strings.HasPrefix(s, "PAM ") && strings.Contains(s, " more authentication failure"):
		authResult(ev, "pam_authentication", outcomeFailure, pamValue(s, "user"), pamValue(s, "rhost"))
	case strings.Contains(s, ": session opened for user "):
		// "pam_unix(sshd:session): session opened for user kpu(uid=1000) by (uid=0)"
		authResult(ev, "session_open", outcomeSuccess, sessionUser(s, ": session opened for user "), "")
	case strings.Contains(s, ": session closed for user "):
		authResult(ev, "session_close", outcomeSuccess, sessionUser(s, ": session closed for user "), "")
	}
}

// pamValue finds " key=value" in a PAM message ("" when absent or empty).
func pamValue(s, key string) string {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], key+"=")
		if j < 0 {
			return ""
		}
		j += i
		if j == 0 || s[j-1] == ' ' || s[j-1] == ';' {
			v := s[j+len(key)+1:]
			if k := strings.IndexAny(v, " ;"); k >= 0 {
				v = v[:k]
			}
			return v
		}
		i = j + len(key) + 1
	}
	return ""
}

func sessionUser(s, marker string) string {
	u := s[strings.Index(s, marker)+len(marker):]
	if i := strings.IndexAny(u, "( "); i >= 0 {
		u = u[:i]
	}
	return u
}

// authSudo reads "U : TTY=pts/0 ; PWD=/home/u ; USER=root ; COMMAND=/bin/id"
// and its failures ("U : 3 incorrect password attempts ; TTY=...").
func authSudo(ev *event.Event, s string) {
	user, rest, ok := strings.Cut(strings.TrimLeft(s, " "), " : ")
	if !ok || !strings.Contains(rest, "COMMAND=") {
		return
	}
	outcome := outcomeFailure
	if strings.HasPrefix(rest, "TTY=") || strings.HasPrefix(rest, "PWD=") || strings.HasPrefix(rest, "HOST=") {
		outcome = outcomeSuccess
	}
	authResult(ev, "sudo", outcome, user, "")
}

// authSu reads util-linux su: "(to root) kpu on pts/0" and
// "FAILED SU (to root) kpu on pts/0".
func authSu(ev *event.Event, s string) {
	outcome := outcomeSuccess
	if rest, ok := strings.CutPrefix(s, "FAILED SU "); ok {
		s, outcome = rest, outcomeFailure
	}
	if !strings.HasPrefix(s, "(to ") {
		return
	}
	_, rest, ok := strings.Cut(s, ") ")
	if !ok {
		return
	}
	user, _, _ := strings.Cut(rest, " on ")
	authResult(ev, "su", outcome, user, "")
}
