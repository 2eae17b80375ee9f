package claim

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// syntheticWords are common words of Indonesian fact-check titles, written
// for Garda; Synthetic mixes them with made-up words so that an index can be
// padded to realistic sizes for benchmarks.
var syntheticWords = strings.Fields(`presiden menteri gubernur bupati wali kota polisi tentara warga rakyat
pemerintah negara indonesia jakarta papua jawa sumatera kalimantan sulawesi bali aceh banten pemilu pilkada
kpu bawaslu partai calon suara surat pemilih kotak tps curang kecurangan hasil hitung rekapitulasi sirekap
vaksin covid virus obat dokter rumah sakit sehat penyakit kanker ginjal jantung racun makanan minuman air
bantuan sosial bansos uang juta miliar triliun rupiah hadiah undian bank nasabah pinjaman online judi situs
link pendaftaran lowongan kerja pegawai bumn gaji tunjangan pensiun subsidi listrik bbm pertalite harga
gempa banjir tsunami gunung meletus longsor kebakaran cuaca hujan badai angin laut pantai sungai jalan
tol jembatan bandara kereta pesawat kapal mobil motor video foto rekaman pesan whatsapp facebook tiktok
instagram youtube akun palsu tiruan mengatasnamakan membagikan menawarkan menjual membeli meninggal dunia
ditangkap dipenjara korupsi uang negara china amerika israel palestina gaza rusia ukraina arab saudi
malaysia singapura australia jepang korea india turki iran mesir perang serangan bom teroris demo unjuk
rasa mahasiswa buruh petani nelayan guru sekolah universitas ujian beasiswa agama masjid gereja ulama
ustaz kiai pesantren haji umrah ramadan lebaran natal tahun baru kemerdekaan agustus upacara bendera
merah putih garuda pancasila undang peraturan kebijakan pajak tarif naik turun gratis wajib dilarang
ditutup dibuka diblokir dihapus diganti dibatalkan disetujui ditolak resmi baru terbaru viral heboh`)

// Synthetic returns n made-up claims in the shape of Indonesian fact-check
// titles (6-14 words, a Zipf-like mix of common and rare words, some
// numbers and dates), deterministic for a seed.
func Synthetic(n int, seed uint64) []Claim {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	rare := make([]string, 20000)
	syl := strings.Fields("ba bi bu da di du ga gi ka ki ku la li lu ma mi mu na ni nu pa pi pu ra ri ru sa si su ta ti tu ja jo ya wa ngu nga")
	for i := range rare {
		var b strings.Builder
		for j := 0; j < 2+r.IntN(3); j++ {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		rare[i] = b.String()
	}
	zipf := rand.NewZipf(r, 1.1, 4, uint64(len(rare)-1))
	out := make([]Claim, n)
	for i := range out {
		var w []string
		for j := 0; j < 6+r.IntN(9); j++ {
			switch x := r.IntN(10); {
			case x < 6:
				w = append(w, syntheticWords[r.IntN(len(syntheticWords))])
			case x < 9:
				w = append(w, rare[zipf.Uint64()])
			case r.IntN(2) == 0:
				w = append(w, fmt.Sprintf("%d", 1+r.IntN(1000)), "juta")
			default:
				w = append(w, fmt.Sprintf("%d-%d-%d", 1+r.IntN(28), 1+r.IntN(12), 2019+r.IntN(7)))
			}
		}
		out[i] = Claim{ID: fmt.Sprintf("syn-%d", i), Text: strings.Join(w, " ")}
	}
	return out
}
