package takedown

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/pdfdoc"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// Letter kinds: the request itself, then the warning stages an overdue
// request climbs (Permenkominfo 5/2020: teguran 1, 2, 3, then access is cut).
const (
	LetterRequest = "permohonan"
	LetterWarn1   = "teguran_1"
	LetterWarn2   = "teguran_2"
	LetterWarn3   = "teguran_3"
	LetterCut     = "pemutusan_akses"
)

// LetterKinds lists the letters in the order a request may need them; the
// index of a warning is its stage (1-3, 4 for pemutusan akses).
var LetterKinds = []string{LetterRequest, LetterWarn1, LetterWarn2, LetterWarn3, LetterCut}

// letterSuffix numbers a warning after its request: PK-2026-000001/T1.
var letterSuffix = map[string]string{LetterRequest: "", LetterWarn1: "/T1", LetterWarn2: "/T2", LetterWarn3: "/T3", LetterCut: "/PA"}

// letterSubject is each letter's "Perihal".
var letterSubject = map[string]string{
	LetterRequest: "Permohonan Pemutusan Akses Konten Bermuatan Melanggar Hukum",
	LetterWarn1:   "Teguran Pertama atas Permohonan Pemutusan Akses yang Belum Dilaksanakan",
	LetterWarn2:   "Teguran Kedua atas Permohonan Pemutusan Akses yang Belum Dilaksanakan",
	LetterWarn3:   "Teguran Ketiga (Terakhir) atas Permohonan Pemutusan Akses yang Belum Dilaksanakan",
	LetterCut:     "Pemberitahuan Pemutusan Akses",
}

// categoryLabel and outcomeLabel say a request's words in Bahasa Indonesia.
var categoryLabel = map[string]string{
	"hoaks": "Hoaks", "disinformasi": "Disinformasi", "ujaran_kebencian": "Ujaran kebencian", "sara": "SARA",
	"phishing": "Phishing / peniruan situs KPU", "kebocoran_data": "Kebocoran data pribadi", "lainnya": "Lainnya",
}

// CategoryLabel is a category's name in Bahasa Indonesia (the key itself
// for one it does not know).
func CategoryLabel(cat string) string {
	if l, ok := categoryLabel[cat]; ok {
		return l
	}
	return cat
}

var outcomeLabel = map[string]string{
	Pending: "belum dijawab", Removed: "dihapus", Restricted: "dibatasi di Indonesia", Refused: "ditolak",
	Objected: "disanggah", NoAnswer: "tidak dijawab", Withdrawn: "dicabut",
}

// Letter is a numbered letter of a request, in Bahasa Indonesia, ready to
// print or to render as PDF. It never carries the agencies' internal notes.
type Letter struct {
	Kind       string     `json:"kind"`
	Number     string     `json:"number"`
	Subject    string     `json:"subject"`
	Date       time.Time  `json:"date"`
	From       string     `json:"from"` // the issuing agency's name
	To         string     `json:"to"`   // the platform's name
	Paragraphs []string   `json:"paragraphs"`
	LegalBasis []string   `json:"legal_basis"` // labels
	URLs       []URL      `json:"urls"`
	Evidence   []Evidence `json:"evidence,omitempty"`
	Signer     string     `json:"signer"` // the coordinator who approved the request
	TLP        policy.TLP `json:"tlp"`
}

// LetterNumber is the number of a letter of the request numbered number.
func LetterNumber(number, kind string) string { return number + letterSuffix[kind] }

// BuildLetter writes the letter of kind for r, issued at at by the agency
// named from.
func BuildLetter(r Request, kind, from string, at time.Time) (Letter, error) {
	if _, ok := letterSubject[kind]; !ok {
		return Letter{}, problem.Field("kind", "must be one of %s", strings.Join(LetterKinds, ", "))
	}
	l := Letter{Kind: kind, Number: LetterNumber(r.Number, kind), Subject: letterSubject[kind], Date: at, From: from,
		To: r.PlatformName, URLs: r.URLs, Evidence: r.Evidence, Signer: r.ApprovedBy, TLP: r.TLP}
	for _, b := range r.LegalBasis {
		for _, lb := range LegalBases {
			if lb.Key == b {
				l.LegalBasis = append(l.LegalBasis, lb.Label)
			}
		}
	}
	hours := int(DefaultDeadlines[r.Urgency] / time.Hour)
	if r.SentAt != nil && r.DueAt != nil {
		hours = int(r.DueAt.Sub(*r.SentAt).Round(time.Hour) / time.Hour) // the deadline it was sent with
	}
	urgency := fmt.Sprintf("biasa (%d jam)", hours)
	if r.Urgency == Urgent {
		urgency = fmt.Sprintf("mendesak (%d jam)", hours)
	}
	sent := "-"
	if r.SentAt != nil {
		sent = tanggal(*r.SentAt)
	}
	switch kind {
	case LetterRequest:
		l.Paragraphs = []string{
			fmt.Sprintf("Berdasarkan hasil pemantauan %s, kami menemukan konten pada layanan %s yang diduga melanggar ketentuan peraturan perundang-undangan dengan kategori %s.",
				from, r.PlatformName, categoryLabel[r.Category]),
			"Uraian: " + r.Summary,
			fmt.Sprintf("Sehubungan dengan itu, kami meminta %s melakukan pemutusan akses (penghapusan atau pembatasan di Indonesia) atas %d URL dalam daftar terlampir, dengan tingkat urgensi %s sejak surat ini diterima, dan menyampaikan jawaban untuk setiap URL melalui portal Garda atau membalas surat ini.",
				r.PlatformName, len(r.URLs), urgency),
		}
	case LetterWarn1, LetterWarn2, LetterWarn3:
		n := map[string]string{LetterWarn1: "pertama", LetterWarn2: "kedua", LetterWarn3: "ketiga dan terakhir"}[kind]
		l.Paragraphs = []string{
			fmt.Sprintf("Merujuk surat kami nomor %s yang dikirim pada %s, sampai dengan surat ini diterbitkan %s belum melaksanakan pemutusan akses atas URL yang tercantum di bawah dalam batas waktu %s.",
				r.Number, sent, r.PlatformName, urgency),
			fmt.Sprintf("Dengan ini kami menyampaikan teguran %s. Kami meminta %s segera melaksanakan permohonan tersebut dalam waktu %d jam sejak teguran ini diterima.", n, r.PlatformName, hours),
		}
		if kind == LetterWarn3 {
			l.Paragraphs = append(l.Paragraphs, "Apabila teguran ini tidak dilaksanakan, akses terhadap konten dan/atau layanan terkait akan diputus sesuai ketentuan peraturan perundang-undangan.")
		}
	case LetterCut:
		l.Paragraphs = []string{
			fmt.Sprintf("Merujuk surat kami nomor %s beserta teguran pertama, kedua dan ketiga, %s tidak melaksanakan pemutusan akses atas URL yang tercantum di bawah.", r.Number, r.PlatformName),
			"Dengan ini kami memberitahukan bahwa akses terhadap konten tersebut diputus melalui pemblokiran DNS sesuai ketentuan peraturan perundang-undangan.",
		}
	}
	return l, nil
}

// bulan names the months as letters date them.
var bulan = []string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// tanggal dates t in Bahasa Indonesia, in Western Indonesian Time.
func tanggal(t time.Time) string {
	t = t.In(time.FixedZone("WIB", 7*3600))
	return fmt.Sprintf("%d %s %d pukul %02d.%02d WIB", t.Day(), bulan[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// URLsToAct are the URLs a warning is about: those not yet taken down.
func (l Letter) URLsToAct() []URL {
	if l.Kind == LetterRequest {
		return l.URLs
	}
	var out []URL
	for _, u := range l.URLs {
		if u.Outcome == Pending || u.Outcome == NoAnswer || u.Outcome == Refused {
			out = append(out, u)
		}
	}
	return out
}

// Text is the letter as plain text: the e-mail's body and the printable
// page's content.
func (l Letter) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nNomor   : %s\nTanggal : %s\nSifat   : TLP:%s\nPerihal : %s\n\nKepada Yth.\n%s\n\n", l.From, l.Number, tanggal(l.Date), l.TLP, l.Subject, l.To)
	for _, p := range l.Paragraphs {
		b.WriteString(p + "\n\n")
	}
	if len(l.LegalBasis) > 0 {
		b.WriteString("Dasar hukum:\n")
		for _, lb := range l.LegalBasis {
			b.WriteString("- " + lb + "\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("Daftar URL:\n")
	for i, u := range l.URLsToAct() {
		fmt.Fprintf(&b, "%d. %s (%s)\n", i+1, u.URL, outcomeLabel[u.Outcome])
	}
	if len(l.Evidence) > 0 {
		b.WriteString("\nBukti (SHA-256):\n")
		for _, e := range l.Evidence {
			fmt.Fprintf(&b, "- %s %s: %s\n", e.Ref, e.Name, e.SHA256)
		}
	}
	fmt.Fprintf(&b, "\nDemikian surat ini disampaikan. Atas perhatian dan kerja samanya kami ucapkan terima kasih.\n\n%s\n%s\n", l.From, l.Signer)
	return b.String()
}

// PDF renders the letter with Garda's one PDF writer.
func (l Letter) PDF() []byte {
	p := pdfdoc.New()
	p.Title = l.Number + " · " + l.Subject
	p.Marking = &pdfdoc.Marking{Text: "TLP:" + string(l.TLP), Fg: tlpColour[l.TLP]}
	p.Text(l.From, 14, true)
	p.Gap(8)
	cols := []float64{0, 0.15}
	for _, row := range [][2]string{{"Nomor", l.Number}, {"Tanggal", tanggal(l.Date)}, {"Sifat", "TLP:" + string(l.TLP)}, {"Perihal", l.Subject}} {
		p.Row([]string{row[0], ": " + row[1]}, cols, false)
	}
	p.Gap(10)
	p.Text("Kepada Yth.", 10, false)
	p.Text(l.To, 10, true)
	p.Gap(10)
	for _, para := range l.Paragraphs {
		p.Text(para, 10, false)
		p.Gap(6)
	}
	if len(l.LegalBasis) > 0 {
		p.Text("Dasar hukum:", 10, true)
		for _, lb := range l.LegalBasis {
			p.Text("- "+lb, 10, false)
		}
		p.Gap(6)
	}
	p.Text("Daftar URL", 11, true)
	ucols := []float64{0, 0.07, 0.8}
	p.Row([]string{"No.", "URL", "Status"}, ucols, true)
	for i, u := range l.URLsToAct() {
		p.Row([]string{fmt.Sprint(i + 1), u.URL, outcomeLabel[u.Outcome]}, ucols, false)
	}
	if len(l.Evidence) > 0 {
		p.Gap(8)
		p.Text("Bukti (SHA-256)", 11, true)
		ecols := []float64{0, 0.2, 0.4}
		p.Row([]string{"Sumber", "Berkas", "SHA-256"}, ecols, true)
		for _, e := range l.Evidence {
			p.Row([]string{e.Ref, e.Name, e.SHA256}, ecols, false)
		}
	}
	p.Gap(12)
	p.Text("Demikian surat ini disampaikan. Atas perhatian dan kerja samanya kami ucapkan terima kasih.", 10, false)
	p.Gap(16)
	p.Text(l.From, 10, true)
	p.Text(l.Signer, 10, false)
	return p.Bytes()
}

// tlpColour prints TLP labels in FIRST's colours, on black.
var tlpColour = map[policy.TLP][3]float64{
	policy.Red: {1, 0.169, 0.169}, policy.Amber: {1, 0.753, 0}, policy.AmberStrict: {1, 0.753, 0},
	policy.Green: {0.2, 1, 0}, policy.Clear: {1, 1, 1},
}

// IssuedLetter is a letter as recorded: when it was issued and how it went.
type IssuedLetter struct {
	Kind     string    `json:"kind"`
	Number   string    `json:"number"`
	IssuedAt time.Time `json:"issued_at"`
	Channel  string    `json:"channel,omitempty"`
	SentTo   string    `json:"sent_to,omitempty"`
}

// issueLetter records a letter of request id, once per kind.
func issueLetter(ctx context.Context, tx *store.Tx, r Request, kind, channel, to string, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO takedown_letters (takedown_id, kind, number, issued_at, channel, sent_to) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, kind, LetterNumber(r.Number, kind), at, channel, to)
	if errors.Is(err, store.ErrConflict) {
		return problem.New(problem.Conflict, "letter %s of %s was already issued", kind, r.Number)
	}
	return err
}

// Letters lists the letters issued for a request who may read.
func Letters(ctx context.Context, q store.Querier, who auth.Principal, id int64) ([]IssuedLetter, error) {
	if _, err := get(ctx, q, who, id); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT kind, number, issued_at, channel, sent_to FROM takedown_letters WHERE takedown_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("takedown letters: %w", err)
	}
	return store.Collect(rows, func(s store.Scanner) (IssuedLetter, error) {
		var l IssuedLetter
		return l, s.Scan(&l.Kind, &l.Number, &l.IssuedAt, &l.Channel, &l.SentTo)
	})
}

// orgName is an organisation's name.
func orgName(ctx context.Context, q store.Querier, id int64) (string, error) {
	var name string
	err := q.QueryRow(ctx, `SELECT name FROM orgs WHERE id = ?`, id).Scan(&name)
	return name, err
}

// LetterOf builds a request's letter of kind for a principal who may read
// the request. The request letter exists once the request is approved (a
// draft has none: it may still change); a warning once it was issued.
func LetterOf(ctx context.Context, q store.Querier, who auth.Principal, id int64, kind string) (Letter, error) {
	r, err := get(ctx, q, who, id)
	if err != nil {
		return Letter{}, err
	}
	return letterOf(ctx, q, r, kind)
}

func letterOf(ctx context.Context, q store.Querier, r Request, kind string) (Letter, error) {
	var at time.Time
	err := q.QueryRow(ctx, `SELECT issued_at FROM takedown_letters WHERE takedown_id = ? AND kind = ?`, r.ID, kind).Scan(&at)
	switch {
	case errors.Is(err, store.ErrNotFound) && kind == LetterRequest && r.ApprovedAt != nil:
		at = *r.ApprovedAt // approved, not yet sent: the letter as it will go
	case errors.Is(err, store.ErrNotFound):
		return Letter{}, problem.New(problem.NotFound, "request %s has no letter %s (yet)", r.Number, kind)
	case err != nil:
		return Letter{}, err
	}
	from, err := orgName(ctx, q, r.OwnerOrgID)
	if err != nil {
		return Letter{}, err
	}
	return BuildLetter(r, kind, from, at)
}
