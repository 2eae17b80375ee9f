package pii

// kind is what a context word says about the number that follows it.
type kind uint8

const (
	kindNone kind = iota
	kindNIK
	kindKK
	kindNPWP
	kindPhone
	kindNegative // an account, invoice, card, order... number: not personal data we count
)

// keywords are the words (lower case, letters only) that name a number.
// Matching is per whole word, so "nik" does not match inside "teknik".
var keywords = map[string]kind{
	"nik": kindNIK, "nlk": kindNIK, "ktp": kindNIK, "ektp": kindNIK, "kependudukan": kindNIK,

	"kk": kindKK, "nkk": kindKK, "nokk": kindKK, "keluarga": kindKK,

	"npwp": kindNPWP,

	"hp": kindPhone, "telp": kindPhone, "tlp": kindPhone, "tel": kindPhone, "telepon": kindPhone,
	"telpon": kindPhone, "phone": kindPhone, "handphone": kindPhone, "ponsel": kindPhone,
	"wa": kindPhone, "whatsapp": kindPhone, "kontak": kindPhone, "contact": kindPhone,
	"mobile": kindPhone, "hape": kindPhone, "fax": kindPhone, "faks": kindPhone, "nohp": kindPhone,

	"rek": kindNegative, "rekening": kindNegative, "norek": kindNegative, "account": kindNegative,
	"acct": kindNegative, "acc": kindNegative, "invoice": kindNegative, "inv": kindNegative,
	"faktur": kindNegative, "order": kindNegative, "pesanan": kindNegative, "transaksi": kindNegative,
	"trx": kindNegative, "resi": kindNegative, "va": kindNegative, "ref": kindNegative,
	"referensi": kindNegative, "kredit": kindNegative, "debit": kindNegative, "card": kindNegative,
	"visa": kindNegative, "mastercard": kindNegative, "timestamp": kindNegative, "ts": kindNegative,
	"imei": kindNegative, "serial": kindNegative, "sn": kindNegative, "bpjs": kindNegative,
	"nisn": kindNegative, "nip": kindNegative, "awb": kindNegative, "tracking": kindNegative, "tagihan": kindNegative,
	"pelanggan": kindNegative, "idpel": kindNegative, "meter": kindNegative, "token": kindNegative,
	"rp": kindNegative, "idr": kindNegative, "saldo": kindNegative, "nominal": kindNegative,
	"epoch": kindNegative, "unix": kindNegative, "id": kindNegative, "uid": kindNegative, "uuid": kindNegative, "hash": kindNegative,
}

// contextReach is how far (in bytes) before a number a context word still
// counts: "NIK : 3204..." and "No. KK (Kartu Keluarga) 3204..." but not a
// word from the start of a long sentence.
const contextReach = 48

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// lastKeyword returns the kind of the last keyword in s[from:to] and where it
// ends, or kindNone. Words are runs of ASCII letters, compared lower-cased.
func lastKeyword(s string, from, to int) (k kind, end int) {
	var buf [16]byte
	i := to
	for i > from {
		// Walk back to the end of a word.
		for i > from && !isLetter(s[i-1]) {
			i--
		}
		e := i
		for i > from && isLetter(s[i-1]) {
			i--
		}
		if e == i || e-i > len(buf) {
			continue
		}
		w := buf[:e-i]
		for j := range w {
			w[j] = s[i+j] | 0x20
		}
		if kk, ok := keywords[string(w)]; ok && !(kk == kindNegative && inDottedName(s, i)) {
			return kk, e
		}
	}
	return kindNone, 0
}

// firstKeyword returns the kind of the first keyword in s.
func firstKeyword(s string) kind {
	var buf [16]byte
	i := 0
	for i < len(s) {
		for i < len(s) && !isLetter(s[i]) {
			i++
		}
		b := i
		for i < len(s) && isLetter(s[i]) {
			i++
		}
		if i == b || i-b > len(buf) {
			continue
		}
		w := buf[:i-b]
		for j := range w {
			w[j] = s[b+j] | 0x20
		}
		if k, ok := keywords[string(w)]; ok && !(k == kindNegative && inDottedName(s, b)) {
			return k
		}
	}
	return kindNone
}

// inDottedName reports whether the word starting at i is a later part of a
// dotted name ("id" in "cekdptonline.kpu.go.id", "ts" in "app.ts"), which
// says nothing about a number after it. Only negative words are checked:
// "No.KK" still names a KK.
func inDottedName(s string, i int) bool {
	return i >= 2 && s[i-1] == '.' && (isLetter(s[i-2]) || isDigit(s[i-2]))
}
