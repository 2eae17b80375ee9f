package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/markdown"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/region"
)

// Title is the report's name.
const Title = "Laporan Situasi Harian"

// WIBTime formats a moment in WIB.
func WIBTime(t time.Time) string { return t.In(WIB).Format(region.WIBLayout) }

// Figure is one headline figure: a label and its number.
type Figure struct {
	Label string
	Value int
}

// Figures are the report's headline figures, in the order every renderer
// shows them.
func (r *Report) Figures() []Figure {
	return []Figure{
		{"Insiden dilaporkan hari ini", r.Incidents.Opened},
		{"Insiden diselesaikan hari ini", r.Incidents.Resolved},
		{"Insiden ditutup hari ini", r.Incidents.Closed},
		{"Insiden terbuka pada hari itu", r.Incidents.OpenThatDay},
		{"Insiden terbuka saat ini", r.Incidents.Open},
		{"Tenggat terlewat", r.Incidents.ClocksMissed},
		{"Insiden dengan tenggat terlewat", r.Incidents.IncidentsMissedClock},
		{"Peringatan muncul hari ini", r.Alerts.Raised},
		{"Peringatan terbuka saat ini", r.Alerts.Open},
		{"Blokir dibuat hari ini", r.Blocks.Made},
		{"Blokir aktif saat ini", r.Blocks.Active},
		{"Situs dipindai hari ini", r.Scans.SitesScanned},
		{"Temuan baru hari ini", r.Scans.New},
		{"Temuan diperbaiki hari ini", r.Scans.Fixed},
		{"Temuan terbuka saat ini", r.Scans.Open},
		{"Temuan lewat tenggat", r.Scans.Overdue},
		{"Konten patroli ditemukan hari ini", r.Patrol.Items},
		{"Isu (klaim) patroli hari ini", r.Patrol.Issues},
		{"Konten patroli memuat data pribadi", r.Patrol.WithPII},
		{"Permintaan penurunan konten diajukan hari ini", r.Takedowns.Filed},
		{"Permintaan penurunan konten dikirim hari ini", r.Takedowns.Sent},
		{"URL diturunkan hari ini", r.Takedowns.TakenDown},
		{"Permintaan penurunan terbuka saat ini", r.Takedowns.Open},
		{"Permintaan penurunan lewat tenggat", r.Takedowns.Overdue},
	}
}

// Header lines: region, date, generation time and reader.
func (r *Report) Header() [][2]string {
	return [][2]string{
		{"Wilayah", r.RegionName},
		{"Tanggal", r.Date + " (WIB)"},
		{"Dibuat", WIBTime(r.GeneratedAt)},
		{"Pembaca", r.Reader + " (" + r.ReaderOrg + ")"},
	}
}

// table is one breakdown as the renderers show it.
type table struct {
	Title string
	Head  [3]string
	Rows  []Row
}

func (r *Report) tables() []table {
	t := []table{
		{"Insiden menurut kategori (RSIT)", [3]string{"Kategori", "Dilaporkan hari ini", "Terbuka"}, r.Incidents.ByCategory},
		{"Insiden menurut tingkat keparahan", [3]string{"Keparahan", "Dilaporkan hari ini", "Terbuka"}, r.Incidents.BySeverity},
	}
	if r.Region == "" {
		t = append(t, table{"Insiden menurut provinsi", [3]string{"Provinsi", "Dilaporkan hari ini", "Terbuka"}, r.Incidents.ByProvince})
	}
	t = append(t,
		table{"Peringatan menurut tingkat keparahan", [3]string{"Keparahan", "Muncul hari ini", "Terbuka"}, r.Alerts.BySeverity},
		table{"Peringatan menurut skenario", [3]string{"Skenario", "Muncul hari ini", "Terbuka"}, r.Alerts.ByScenario},
		table{"Temuan uji penetrasi menurut tingkat keparahan", [3]string{"Keparahan", "Baru hari ini", "Terbuka"}, r.Scans.BySeverity})
	if r.Region == "" {
		t = append(t, table{"Temuan uji penetrasi menurut provinsi", [3]string{"Provinsi", "Baru hari ini", "Terbuka"}, r.Scans.ByProvince})
	}
	t = append(t,
		table{"Konten patroli siber menurut platform", [3]string{"Platform", "Ditemukan hari ini", "Dilabeli pelanggaran"}, r.Patrol.ByPlatform},
		table{"Konten patroli siber menurut label", [3]string{"Label", "Hari ini", "—"}, r.Patrol.ByLabel},
		table{"Penurunan konten menurut platform", [3]string{"Platform", "Dikirim hari ini", "Terbuka"}, r.Takedowns.ByPlatform},
		table{"Penurunan konten menurut kategori", [3]string{"Kategori", "Dikirim hari ini", "Terbuka"}, r.Takedowns.ByCategory})
	return t
}

// mdCell is text that people or settings wrote (titles, names), put into
// the Markdown as text: never a link, HTML or a table's column.
func mdCell(s string) string { return markdown.Text(s) }

// Markdown renders the report.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — %s\n\n**TLP:%s**\n\n", Title, mdCell(r.RegionName), r.TLP)
	for _, h := range r.Header() {
		fmt.Fprintf(&b, "- **%s:** %s\n", h[0], mdCell(h[1]))
	}
	b.WriteString("\n## Ringkasan\n\n| Angka | Jumlah |\n| --- | ---: |\n")
	for _, f := range r.Figures() {
		fmt.Fprintf(&b, "| %s | %d |\n", f.Label, f.Value)
	}
	for _, t := range r.tables() {
		fmt.Fprintf(&b, "\n## %s\n\n| %s | %s | %s |\n| --- | ---: | ---: |\n", t.Title, t.Head[0], t.Head[1], t.Head[2])
		if len(t.Rows) == 0 {
			b.WriteString("| (tidak ada) | 0 | 0 |\n")
		}
		for _, row := range t.Rows {
			fmt.Fprintf(&b, "| %s | %d | %d |\n", mdCell(row.Label), row.Day, row.Open)
		}
	}
	r.roomsMarkdown(&b)
	b.WriteString("\n## Insiden kritis dan tinggi yang terbuka\n\n")
	if len(r.OpenCritical) == 0 {
		b.WriteString("Tidak ada.\n")
	} else {
		b.WriteString("| ID | Judul | Keparahan | Status | Wilayah | Terdeteksi | Tenggat terlewat |\n| --- | --- | --- | --- | --- | --- | --- |\n")
		for _, it := range r.OpenCritical {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", it.HumanID, mdCell(it.Title), r.L("sev", it.Severity),
				r.L("istatus", it.Status), mdCell(it.RegionName), WIBTime(it.DetectedAt), r.missedText(it.MissedClocks))
		}
	}
	b.WriteString("\n_Laporan ini hanya menghitung catatan yang boleh dibaca oleh pembacanya._\n")
	fmt.Fprintf(&b, "\n**TLP:%s**\n", r.TLP)
	return []byte(b.String())
}

func (r *Report) missedText(clocks []string) string {
	if len(clocks) == 0 {
		return "-"
	}
	out := make([]string, len(clocks))
	for i, c := range clocks {
		out[i] = r.L("iclock", c)
	}
	return strings.Join(out, ", ")
}

// PDF renders the report as a PDF document.
func (r *Report) PDF() []byte {
	p := NewPDF()
	p.Title = Title + " · " + r.RegionName + " · " + r.Date
	p.Marking = tlpMarking(r.TLP)
	p.Text(Title, 18, true)
	p.Text(r.RegionName, 13, true)
	p.Gap(4)
	for _, h := range r.Header() {
		p.Row([]string{h[0], h[1]}, []float64{0, 0.2}, false)
	}
	p.Gap(10)
	p.Text("Ringkasan", 13, true)
	p.Row([]string{"Angka", "Jumlah"}, []float64{0, 0.6}, true)
	for _, f := range r.Figures() {
		p.Row([]string{f.Label, strconv.Itoa(f.Value)}, []float64{0, 0.6}, false)
	}
	for _, t := range r.tables() {
		p.Gap(10)
		p.Text(t.Title, 13, true)
		cols := []float64{0, 0.5, 0.75}
		p.Row(t.Head[:], cols, true)
		if len(t.Rows) == 0 {
			p.Row([]string{"(tidak ada)", "0", "0"}, cols, false)
		}
		for _, row := range t.Rows {
			p.Row([]string{row.Label, strconv.Itoa(row.Day), strconv.Itoa(row.Open)}, cols, false)
		}
	}
	r.roomsPDF(p)
	p.Gap(10)
	p.Text("Insiden kritis dan tinggi yang terbuka", 13, true)
	if len(r.OpenCritical) == 0 {
		p.Text("Tidak ada.", 10, false)
	} else {
		cols := []float64{0, 0.16, 0.52, 0.63, 0.78}
		p.Row([]string{"ID", "Judul", "Keparahan", "Status", "Wilayah"}, cols, true)
		for _, it := range r.OpenCritical {
			p.Row([]string{it.HumanID, it.Title, r.L("sev", it.Severity), r.L("istatus", it.Status), it.RegionName}, cols, false)
		}
	}
	p.Gap(10)
	p.Text("Laporan ini hanya menghitung catatan yang boleh dibaca oleh pembacanya.", 8, false)
	return p.Bytes()
}

// tlpMarking is a TLP label as FIRST's TLP 2.0 prints it: in its colour on
// black.
func tlpMarking(t policy.TLP) *Marking {
	colour := map[policy.TLP][3]float64{
		policy.Red: {1, 0.169, 0.169}, policy.Amber: {1, 0.753, 0}, policy.AmberStrict: {1, 0.753, 0},
		policy.Green: {0.2, 1, 0}, policy.Clear: {1, 1, 1},
	}
	return &Marking{Text: "TLP:" + string(t), Fg: colour[t]}
}
