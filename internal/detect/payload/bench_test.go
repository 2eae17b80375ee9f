package payload

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/shareddata"
)

// benignTargets are request targets as genlog and the simulator's citizens
// send them: most values hold nothing any check needs.
var benignTargets = []string{
	"/berita/123?page=2&q=jadwal+pemilu",
	"/cari?q=hasil+rekap+suara+provinsi+jawa+barat&page=3",
	"/dpt/cek?nik=3201234567890001&nama=Budi+Santoso",
	"/api/v1/tps?kode=32.04.01.2001&sort=nomor",
	"/daftar?email=siti.nur88%40gmail.com&telp=%2B62+812-3456-7890",
	"/form?alamat=Jl.+Merdeka+No.+5%2C+RT+03%2FRW+02&kota=Bandung",
	"/static/css/app.min.css?v=2024.02.14",
	"/cari?q=Ma%27ruf+Amin&tahun=2024",
}

func BenchmarkCheckBenign(b *testing.B) {
	var dst []Finding
	for i := 0; b.Loop(); i++ {
		dst = Check(benignTargets[i%len(benignTargets)], dst[:0])
	}
}

// BenchmarkCheckPayloads checks each line of the payload lists
// (../shared/data/payloads) as a query value, as the hostile log sends
// them: ns/op is per payload.
func BenchmarkCheckPayloads(b *testing.B) {
	root, ok := shareddata.Root()
	if !ok {
		b.Skip("needs ../shared/data/payloads (or GARDA_SHARED)")
	}
	var targets []string
	for _, f := range []string{"sqli.txt", "xss.txt", "cmdi.txt", "traversal.txt"} {
		data, err := os.ReadFile(filepath.Join(root, "data", "payloads", f))
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" {
				targets = append(targets, "/cari?q="+url.QueryEscape(l))
			}
		}
	}
	var dst []Finding
	for i := 0; b.Loop(); i++ {
		dst = Check(targets[i%len(targets)], dst[:0])
	}
}
