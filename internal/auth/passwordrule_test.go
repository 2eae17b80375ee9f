package auth_test

import (
	"testing"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/problem"
)

// TestValidatePassword: the examples and the trivial kinds are
// refused with a field error; ordinary long passphrases pass.
func TestValidatePassword(t *testing.T) {
	refused := []string{
		"short",
		"aaaaaaaaaa",  // one character
		"password123", // on the shipped list
		"PASSWORD123", // in capitals
		"          ",  // ten spaces
		"\t\t\t\t\t\t\t\t\t\t\t",
		"abababababab", // a short group repeated
		"123123123123",
		"0123456789", // consecutive
		"zyxwvutsrqpo",
		"qwertyuiop",     // on the list
		"sunshine2024!",  // a common one with digits and a symbol added
		"budi.jabar",     // the username
		"Budi.Jabar2024", // the username with a year
	}
	for _, pw := range refused {
		if err := auth.ValidatePassword("budi.jabar", pw); !problem.Is(err, problem.Invalid) {
			t.Errorf("%q: got %v, want a validation error", pw, err)
		}
	}
	for _, pw := range []string{"rahasia-jabar-1", "correct horse battery", "pw-budi.jabar-long", "Kopi tubruk jam 3 pagi", "3456789012"} {
		if err := auth.ValidatePassword("budi.jabar", pw); err != nil {
			t.Errorf("%q refused: %v", pw, err)
		}
	}
}
