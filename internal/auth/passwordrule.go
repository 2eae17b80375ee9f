package auth

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/problem"
)

// commonPasswords is the 30,000 most common passwords of zxcvbn 4.4.2
// (MIT licence, see data/LICENSE-zxcvbn.txt and NOTICE), most common first,
// one a line, lower case. NIST SP 800-63B §5.1.1.2 asks that a new password
// be checked against such a list of values known to be commonly used.
//
//go:embed data/common-passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := make(map[string]bool, 30000)
	for _, p := range strings.Split(commonPasswordsText, "\n") {
		if p != "" {
			set[p] = true
		}
	}
	return set
})

// Password rules, as WeakPasswordError names them (pages word them).
const (
	RuleTooShort   = "too_short"
	RuleTooLong    = "too_long"
	RuleBlank      = "blank"
	RuleRepeated   = "repeated"
	RuleSequence   = "sequence"
	RuleCommon     = "common"
	RuleIsUsername = "username"
)

// WeakPasswordError names the rule a refused password broke, around the
// problem.Field error the API answers with.
type WeakPasswordError struct {
	Rule string
	err  error
}

func (e *WeakPasswordError) Error() string { return e.err.Error() }
func (e *WeakPasswordError) Unwrap() error { return e.err }

func weak(rule, format string, args ...any) error {
	return &WeakPasswordError{Rule: rule, err: problem.Field("password", format, args...)}
}

// ValidatePassword decides whether password may become username's password.
// It refuses what an attacker tries first (NIST SP 800-63B §5.1.1.2):
// passwords shorter than MinPasswordLength, blank ones, one character
// repeated or a short group repeated ("ababababab"), a run of consecutive
// characters ("0123456789", "zyxwvutsrq"), a common password (the shipped
// list, also with digits or symbols added at the end, as in "sunshine2024!")
// and the username itself (likewise). Messages are for the person choosing.
func ValidatePassword(username, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return weak(RuleTooShort, "must be at least %d characters", MinPasswordLength)
	case len(password) > maxPasswordBytes:
		return weak(RuleTooLong, "must be at most %d characters", maxPasswordBytes)
	case strings.TrimSpace(password) == "":
		return weak(RuleBlank, "must not be only spaces")
	}
	lower := strings.ToLower(password)
	base := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	switch {
	case repeatsShortGroup(lower):
		return weak(RuleRepeated, "must not be one character or a short group repeated")
	case consecutive(lower):
		return weak(RuleSequence, "must not be a run of consecutive characters")
	case commonPasswords()[lower] || commonPasswords()[base]:
		return weak(RuleCommon, "is one of the most common passwords: choose another")
	case username != "" && (lower == strings.ToLower(username) || base == strings.ToLower(username)):
		return weak(RuleIsUsername, "must not be the username")
	}
	return nil
}

// maxGroup is the longest group whose repetition counts as trivial.
const maxGroup = 3

// repeatsShortGroup reports whether s is a group of at most maxGroup
// characters repeated over its whole length ("aaaa", "ababab", "123123").
func repeatsShortGroup(s string) bool {
	r := []rune(s)
	for size := 1; size <= maxGroup && size < len(r); size++ {
		repeated := true
		for i := size; i < len(r); i++ {
			if r[i] != r[i-size] {
				repeated = false
				break
			}
		}
		if repeated {
			return true
		}
	}
	return false
}

// consecutive reports whether every character of s is the one before it
// plus one, or every one minus one ("3456789012" is not: it wraps).
func consecutive(s string) bool {
	r := []rune(s)
	if len(r) < 2 {
		return false
	}
	step := r[1] - r[0]
	if step != 1 && step != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if r[i]-r[i-1] != step {
			return false
		}
	}
	return true
}
