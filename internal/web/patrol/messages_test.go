package patrol_test

import (
	"testing"

	_ "github.com/garda-id/garda/internal/web/patrol"
	"github.com/garda-id/garda/internal/web/webtest"
)

// TestMessages: the pillar's message files register beside the shell's,
// every key has words in both languages with the same arguments, every key
// its templates and handlers use is defined (its own or the shell's), and
// every key of its own files is used (222 when it moved out of package web).
func TestMessages(t *testing.T) { webtest.PillarMessages(t, 200, "../../patrol", "../../claim") }
