package idtext

import (
	"strings"
	"testing"
)

func BenchmarkNormalize(b *testing.B) {
	for name, s := range map[string]string{
		"title":     "Gempa 9,8 Magnitude Guncang Labuan Bajo 4 April 2024",
		"no-digits": "Vaksin Polio Tidak Berguna karena Polio Bukan Disebabkan oleh Virus Menular tetapi Disebabkan oleh Racun",
		"post":      strings.Repeat("Ditemukan gunung emas baru di Papua senilai 221 Triliun, mungkin belum banyak yang tahu kalau Indonesia mempunyai harta karun berupa gunung emas di tanah Papua bernama blok Wabu. ", 6),
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for i := 0; i < b.N; i++ {
				Normalize(s)
			}
		})
	}
}
