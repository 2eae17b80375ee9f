package auth_test

import (
	"errors"
	"testing"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
)

// TestValidatePassword: the examples and the trivial kinds are
// refused with a field error naming the rule; ordinary long passphrases
// pass.
func TestValidatePassword(t *testing.T) {
	refused := map[string]string{
		"short":                  auth.RuleTooShort,
		"aaaaaaaaaa":             auth.RuleRepeated, // one character
		"password123":            auth.RuleCommon,   // on the shipped list
		"PASSWORD123":            auth.RuleCommon,   // in capitals
		"          ":             auth.RuleBlank,    // ten spaces
		"\t\t\t\t\t\t\t\t\t\t\t": auth.RuleBlank,
		"abababababab":           auth.RuleRepeated, // a short group repeated
		"123123123123":           auth.RuleRepeated,
		"0123456789":             auth.RuleSequence, // consecutive
		"zyxwvutsrqpo":           auth.RuleSequence,
		"qwertyuiop":             auth.RuleCommon,
		"sunshine2024!":          auth.RuleCommon,     // a common one with digits and a symbol added
		"budi.jabar":             auth.RuleIsUsername, // the username
		"Budi.Jabar2024":         auth.RuleIsUsername, // the username with a year
	}
	for pw, rule := range refused {
		err := auth.ValidatePassword("budi.jabar", pw)
		var weak *auth.WeakPasswordError
		if !problem.Is(err, problem.Invalid) || !errors.As(err, &weak) || weak.Rule != rule {
			t.Errorf("%q: got %v, want a validation error for the rule %s", pw, err, rule)
		}
	}
	for _, pw := range []string{"rahasia-jabar-1", "correct horse battery", "pw-budi.jabar-long", "Kopi tubruk jam 3 pagi", "3456789012"} {
		if err := auth.ValidatePassword("budi.jabar", pw); err != nil {
			t.Errorf("%q refused: %v", pw, err)
		}
	}
}
