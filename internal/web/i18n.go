package web

import (
	"embed"
	"net/http"

	"github.com/garda-id/garda/internal/web/locale"
)

// The UI speaks Bahasa Indonesia unless the person switched to English;
// the choice lives in a cookie so that it holds before signing in too.
const (
	langCookie = "garda_lang"
	langID     = locale.ID
	langEN     = locale.EN
)

// langOf reads the language a request asked for.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == langEN {
		return langEN
	}
	return langID
}

// messageFiles are the shell's and its pages' strings, one file per area and
// language (messages/<area>.<lang>.json) for translators to edit. The
// glossary's Indonesian terms (Provinsi, Kabupaten/Kota, Ruang operasi, ...)
// are used in the Indonesian files. Keys are grouped by page; enumerations
// are "group.value" so that pages can label domain values (roles, kinds,
// phases) with L. A pillar's pages package registers its own files the same
// way (see package locale).
//
//go:embed messages
var messageFiles embed.FS

func init() { locale.Register(messageFiles, "messages") }

// translate looks a key up in the registered message files; a missing key
// shows itself in double brackets so that a test (and a person) notices at
// once.
func translate(lang, key string, args ...any) string {
	return locale.Registered().Translate(lang, key, args...)
}

// hasMessage says whether a key has words, for pages that label a value
// when they can and show its code otherwise.
func hasMessage(key string) bool { return locale.Registered().Has(key) }
