package takedown_test

import (
	"testing"

	_ "github.com/garda-id/garda/internal/web/takedown"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestMessages: the pillar's message files register beside the shell's,
// every key has words in both languages with the same arguments, every key
// its templates and handlers use is defined (its own or the shell's), and
// every key of its own files is used (157 when it moved out of package web).
func TestMessages(t *testing.T) { webtest.PillarMessages(t, 150, "../../takedown") }
