package idtext

// stopwords carry no claim: function words, and the words fact-checkers put
// before a claim ("foto", "video", "narasi") that narratives rarely repeat.
// They are kept in a Doc for display but take no part in matching.
var stopwords = set(
	"yang", "dan", "di", "ke", "dari", "ini", "itu", "untuk", "dengan", "pada", "adalah", "akan",
	"dalam", "tidak", "juga", "ada", "atau", "oleh", "karena", "sudah", "saja", "lagi", "bisa",
	"ya", "kok", "pun", "lah", "kah", "nya", "si", "sang", "para", "kami", "kita", "saya", "kamu",
	"dia", "ia", "mereka", "kalau", "jika", "bila", "agar", "supaya", "maka", "tapi", "namun",
	"serta", "hingga", "sampai", "sebagai", "seperti", "yakni", "yaitu", "bahwa", "secara",
	"telah", "sedang", "masih", "belum", "harus", "dapat", "hanya", "lebih", "sangat", "banget",
	"semua", "setiap", "tersebut", "tentang", "kepada", "bagi", "antara", "lalu", "kemudian",
	"the", "of", "and", "to", "in", "a", "is", "for", "on", "by", "with",
	"sih", "deh", "dong", "nih", "tuh", "kan", "loh", "lho", "wah", "eh", "oh",
	"foto", "video", "gambar", "narasi", "klaim", "unggahan", "postingan", "akun", "beredar",
	"tiruan", "palsu", "mengatasnamakan", "atasnama", "catut", "mencatut", "judul", "berjudul", "artikel",
	"tangkapan", "layar", "rekaman", "tautan", "bertuliskan", "sebut", "menyebut", "disebut",
	"salah", "hoaks", "hoax", "cek", "fakta", "disinformasi", "misinformasi", "menyesatkan",
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
