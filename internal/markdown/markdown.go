// Package markdown writes what people typed (titles, descriptions, names)
// into the Markdown documents Garda produces (the daily report, the UU PDP
// letter) as text: never as markup, a link or HTML, whatever renders them.
// It never parses or renders Markdown.
package markdown

import "strings"

// escaper turns every character that can start inline markup into text:
// HTML's own three as entities (every Markdown renderer shows those as the
// character, and a backslash before "<" is not understood by all), and
// Markdown's punctuation with a backslash (CommonMark escapes any ASCII
// punctuation so). Brackets are escaped, so "(" and ")" can no longer make
// a link or an image and stay as they are, as common in Indonesian text.
var escaper = strings.NewReplacer(
	`&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `|`, `\|`, `~`, `\~`,
)

// Text is s as Markdown text on one line: runs of white space (newlines
// too, which could start a heading, a list or a quote) become one space,
// and markup characters are escaped. Nor is its start a block's marker:
// "#", "-", "+", "=", "1." and "1)" are escaped there.
func Text(s string) string {
	s = escaper.Replace(strings.Join(strings.Fields(s), " "))
	if s == "" {
		return s
	}
	switch s[0] {
	case '#', '-', '+', '=':
		return `\` + s
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (s[i] == '.' || s[i] == ')') {
		return s[:i] + `\` + s[i:]
	}
	return s
}
