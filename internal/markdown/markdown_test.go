package markdown

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"[click](javascript:alert(1))", `\[click\](javascript:alert(1))`},
		{"<script>alert(1)</script>", `&lt;script&gt;alert(1)&lt;/script&gt;`},
		{"<img src=x onerror=alert(1)>", `&lt;img src=x onerror=alert(1)&gt;`},
		{"![x](http://evil/p.png)", `!\[x\](http://evil/p.png)`},
		{"[a]: javascript:alert(1)", `\[a\]: javascript:alert(1)`},
		{"Pembaca (KPU Provinsi)", "Pembaca (KPU Provinsi)"},
		{"**bukan tebal** _miring_ `kode`", "\\*\\*bukan tebal\\*\\* \\_miring\\_ \\`kode\\`"},
		{"a | b", `a \| b`},
		{"baris satu\n# judul\n\n- butir", `baris satu # judul - butir`},
		{"# judul", `\# judul`},
		{"- butir", `\- butir`},
		{"1. butir", `1\. butir`},
		{"1) butir", `1\) butir`},
		{"2024. Tahun pemilu", `2024\. Tahun pemilu`},
		{"AT&T &amp; \\", `AT&amp;T &amp;amp; \\`},
		{"Situs KPU Kab. Bandung di-deface", "Situs KPU Kab. Bandung di-deface"},
		{"", ""},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestTextLeavesNoMarkup: whatever the input, no unescaped character that
// opens a link, an image, raw HTML or emphasis is left.
func TestTextLeavesNoMarkup(t *testing.T) {
	for _, in := range []string{"[click](javascript:alert(1))", "<script>", "\\[x](y)", "\\\\<b>", "a\\*b*"} {
		out := Text(in)
		if strings.ContainsAny(out, "<>") {
			t.Errorf("Text(%q) = %q keeps an angle bracket", in, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] == '\\' {
				i++ // an escape and the character it escapes
				continue
			}
			if strings.IndexByte("[]*_`", out[i]) >= 0 {
				t.Errorf("Text(%q) = %q leaves %q unescaped at %d", in, out, out[i], i)
			}
		}
	}
}
