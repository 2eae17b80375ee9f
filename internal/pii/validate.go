package pii

import (
	"strconv"
	"sync"
	"time"

	"github.com/garda-id/garda/internal/region"
)

// regencyTable marks every catalogued regency code "PPRR" (as a number
// 0..9999), so validation costs an array read instead of a map lookup with a
// formatted key.
var regencyTable = sync.OnceValue(func() *[10000]bool {
	var t [10000]bool
	for _, r := range region.Regencies("") {
		// "32.04" → 3204
		n, err := strconv.Atoi(r.Code[:2] + r.Code[3:5])
		if err == nil {
			t[n] = true
		}
	}
	return &t
})

func num2(d []byte) int { return int(d[0]-'0')*10 + int(d[1]-'0') }

// regionOK checks the first six digits of a NIK or KK: a catalogued
// province+regency (Kemendagri codes, internal/region) and a district code
// that is not 00. Districts are not catalogued, so any 01..99 passes.
func regionOK(d []byte) bool {
	return regencyTable()[num2(d[0:2])*100+num2(d[2:4])] && num2(d[4:6]) > 0
}

// dateOK reports whether day/month/yy is a calendar date in 19yy or 20yy
// (a NIK keeps only two digits of the year, so 29 February is valid when
// either century has it).
func dateOK(day, month, yy int) bool {
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return false
	}
	for _, y := range []int{1900 + yy, 2000 + yy} {
		if time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC).Day() == day {
			return true
		}
	}
	return false
}

// nikOK validates a 16-digit NIK: PPRRSS region, DDMMYY birth date with 40
// added to the day for women, and a serial from 0001. See
// https://id.wikipedia.org/wiki/Nomor_Induk_Kependudukan (as python-stdnum's
// stdnum/id/nik.py implements it).
func nikOK(d []byte) bool {
	if len(d) != 16 || !regionOK(d) {
		return false
	}
	day := num2(d[6:8])
	if day > 40 {
		day -= 40
	}
	return dateOK(day, num2(d[8:10]), num2(d[10:12])) && string(d[12:16]) != "0000"
}

// nikWoman reports whether a valid NIK's day carries the +40 of women.
func nikWoman(d []byte) bool { return num2(d[6:8]) > 40 }

// kkOK validates a 16-digit KK number: the same PPRRSS region as a NIK, the
// DDMMYY date the card was issued (no +40), and a serial from 0001.
func kkOK(d []byte) bool {
	if len(d) != 16 || !regionOK(d) {
		return false
	}
	return dateOK(num2(d[6:8]), num2(d[8:10]), num2(d[10:12])) && string(d[12:16]) != "0000"
}

// luhnOK is the Luhn (mod 10) check over all of d, its last digit the check
// digit.
func luhnOK(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// npwpOK validates a 15-digit NPWP "ST.sss.sss.C-OOO.BBB": C is the Luhn
// check digit over the first eight digits (Business::ID::NPWP on CPAN and
// python-stdnum's stdnum/id/npwp.py, e.g. 01.312.166.0-091.000), and the
// six-digit taxpayer serial starts from 000001.
func npwpOK(d []byte) bool {
	return len(d) == 15 && luhnOK(d[:9]) && string(d[2:8]) != "000000"
}

// mobilePrefix reports whether the three digits after the trunk 0 (or after
// +62) are an Indonesian mobile prefix: 81x-82x and 85x (Telkomsel,
// Indosat), 83x (Axis), 87x (XL), 88x (Smartfren), 89x (Tri).
func mobilePrefix(p []byte) bool {
	if len(p) < 3 || p[0] != '8' {
		return false
	}
	switch n := num2(p[1:3]); {
	case n >= 11 && n <= 23, n == 28, n >= 31 && n <= 33, n == 38,
		n >= 51 && n <= 59, n == 77, n == 78, n >= 81 && n <= 89, n >= 95 && n <= 99:
		return true
	}
	return false
}

// phoneCanon returns a phone number in its international digits ("62...")
// and whether d is shaped like an Indonesian number at all; valid says
// whether it passes the mobile-prefix or area-code rules. Landlines
// (0 + area code) count only when landline is true: with a context word, a
// "+" or brackets, since bare 9-11 digit numbers starting with 0 are too
// common otherwise.
func phoneCanon(d []byte, landline bool) (canon string, shaped, valid bool) {
	n := len(d)
	switch {
	case n >= 10 && n <= 13 && d[0] == '0' && d[1] == '8':
		return "62" + string(d[1:]), true, mobilePrefix(d[1:4])
	case n >= 11 && n <= 14 && d[0] == '6' && d[1] == '2' && d[2] == '8':
		return string(d), true, mobilePrefix(d[2:5])
	case landline && n >= 9 && n <= 11 && d[0] == '0' && d[1] >= '2' && d[1] <= '9':
		return "62" + string(d[1:]), true, true
	case landline && n >= 10 && n <= 12 && d[0] == '6' && d[1] == '2' && d[2] >= '2' && d[2] <= '9' && d[2] != '8':
		return string(d), true, true
	}
	return "", false, false
}
