package payload

import (
	"bufio"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/detect/payload/sqlmapgen"
)

// TestNormalCorpus: the hand-written normal values (../testdata/params/
// normal.txt) raise no finding of the SQL grammar checks, the ones this
// package added after libinjection (whose own findings the engine's
// recall test counts).
func TestNormalCorpus(t *testing.T) {
	f, err := os.Open("../testdata/params/normal.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v := sc.Text()
		if strings.HasPrefix(v, "# ") || v == "" {
			continue
		}
		for _, fd := range Check("/cari?q="+url.QueryEscape(v), nil) {
			if fd.Rule == RuleSQLGrammar {
				t.Errorf("%q: %v", v, fd)
			}
			if testing.Verbose() {
				t.Logf("%q: %v", v, fd)
			}
		}
	}
}

// TestShopValues: what a web shop's forms hold (Spanish and Indonesian
// names, addresses, e-mail addresses, passwords with ', $, #, -, ( and )),
// as typed and lower case with spaces around punctuation, raise nothing.
func TestShopValues(t *testing.T) {
	vals := []string{"c/ academia, 59, 3", "C/ O'Donnell, 12 - 3º izq.", "Paseo de la Castellana, 100 (bajo)",
		"L'Hospitalet de Llobregat", "maria.garcia@hotmail.com", "jose-luis_99@terra.es", "Ruiz-Mateos (hijo)",
		"Gg. H. Ma'ruf No. 7 (dekat masjid)", "Jl. Merdeka No. 5, RT 03/RW 02", "abc'123", "#hola#", "qwerty(1)", "-12345",
		"clave--segura", "mi'clave(2)", "pa$$w0rd#", "P@ssw0rd!", "l'amour99", "(+34) 912 345 678", "4111 1111 1111 1111",
		"12345678Z", "12,50 €", "Vaciar carrito", "Añadir al carrito", "Dijo \"hola\" (sic).", "Sa'adah and Ma'ruf (2 anak)",
		"rock and roll (live)", "pilih A or (B)", "and sleep (tidur)", "or select (pilih) satu", "sleep and rest (5 minutes)",
		"x between x and y", "antara 5 and 10", "('a', 'b')", "'quoted'", "it's (not) \"that\"",
		"O'Brien-Smith (Mrs.)", "Jum'at, 12 (pagi)", "1' 2\"", "5' 11\" (tall)", "“hola”", "c/ mayor, 3 - 2º b"}
	for _, v := range vals {
		for _, w := range []string{v, sqlmapgen.SpacedText(strings.ToLower(v))} {
			if got := Check("/cari?q="+url.QueryEscape(w), nil); len(got) > 0 {
				t.Errorf("%q: found %v", w, got)
			}
		}
	}
}
