package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/notify"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
)

// seedIncidents opens the demo's incidents, the first time only, as the
// demo's people would: a regency's defacement triaged, escalated to the
// national desk with tasks for Komdigi and the police and under
// containment, a voter-data breach contained on its UU PDP clock, a
// province's phishing nobody has picked up, an intelligence lead only its
// named users read, a duplicate merged and a false alarm closed. Each step
// goes through the incident package and the notifier, so timelines,
// clocks, audit and inboxes are what they would be.
//
// Work is done now, at seeding, so detection times are set back only as
// far as the default targets (incident.DefaultTargets) allow for each
// response to be in time: every clock is met or running, but one, the
// phishing's first response, missed, so the deadline views show both.
func seedIncidents(ctx context.Context, db *store.DB, tree *org.Tree) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	s := &seeder{ctx: ctx, db: db, tree: tree, notifier: notify.New(db, nil, notify.SMTP{})}
	now := time.Now().UTC()
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }

	deface := s.create("operator.bandung", incident.Input{Title: str("Situs KPU Kabupaten Bandung di-deface"),
		Description: str("Halaman depan diganti gambar dan tulisan provokatif sejak dini hari; formulir pengumuman DPT tidak bisa diakses."),
		Category:    str("intrusions"), Type: str("defacement"), Severity: str("high"), Region: str("32.04"), TLP: str("AMBER"), DetectedAt: ago(3 * time.Hour)})
	s.edit("koordinator.jabar", deface, incident.Update{Status: str("triage"), Assignee: str("analis.jabar")})
	s.escalate("koordinator.jabar", deface, "Situs resmi KPU di masa kampanye: perlu provinsi")
	s.escalate("koordinator.jabar", deface, "Pola yang sama terlihat di dua kabupaten lain: laporkan ke BSSN")
	s.task("koordinator.bssn", deface, incident.TaskInput{Title: "Minta takedown salinan halaman deface di media sosial", Owner: "komdigi", DueAt: later(now, 4*time.Hour)})
	s.task("koordinator.bssn", deface, incident.TaskInput{Title: "Amankan log server untuk penyidikan", Owner: "polri", DueAt: later(now, 24*time.Hour)})
	s.task("koordinator.bssn", deface, incident.TaskInput{Title: "Pulihkan halaman dari cadangan dan tutup celah CMS", Owner: "kpu-32.04", DueAt: later(now, 8*time.Hour)})
	s.observable("analis.bssn", deface, incident.ObservableInput{Type: "ip", Value: "203.0.113.45", Note: "pengunggah berkas shell"})
	s.observable("analis.bssn", deface, incident.ObservableInput{Type: "hash", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Note: "web shell"})
	s.comment("analis.bssn", deface, "Web shell yang sama dengan serangan ke dua kabupaten lain pekan lalu. @penyidik.polri mohon log akses 72 jam terakhir.")
	s.edit("koordinator.bssn", deface, incident.Update{Status: str("containment"), Assignee: str("analis.bssn")})

	breach := s.create("analis.kpu", incident.Input{Title: str("Data pemilih diduga dijual di forum peretas"),
		Description: str("Sampel berisi nama, NIK dan alamat pemilih satu provinsi diunggah ke forum; penjual mengklaim berasal dari Sidalih."),
		Category:    str("information-content-security"), Severity: str("critical"), Region: str(""), TLP: str("AMBER"), DetectedAt: ago(45 * time.Minute),
		Participants: &incident.Participants{Orgs: []string{"bssn"}}})
	s.breach("analis.kpu", breach, incident.PDPInput{DataSubjects: 120000, DataCategories: []string{"nama", "nik", "alamat", "tps"}})
	s.edit("analis.kpu", breach, incident.Update{Status: str("triage"), Assignee: str("analis.kpu")})
	s.task("analis.kpu", breach, incident.TaskInput{Title: "Cocokkan sampel dengan DPT dan tentukan sumbernya", Owner: "kpu", DueAt: later(now, 6*time.Hour)})
	s.comment("analis.kpu", breach, "Akun ekspor Sidalih yang bocor sudah dinonaktifkan; unggahan di forum sudah diturunkan pengelolanya.")
	s.edit("analis.kpu", breach, incident.Update{Status: str("eradication")})

	phish := s.create("operator.jatim", incident.Input{Title: str("Surel phishing ke operator KPU Jawa Timur"),
		Description: str("Surel mengatasnamakan helpdesk Sirekap meminta operator masuk ke situs tiruan."),
		Category:    str("fraud"), Type: str("phishing"), Severity: str("medium"), Region: str("35"), TLP: str("GREEN"), DetectedAt: ago(26 * time.Hour)})
	s.observable("operator.jatim", phish, incident.ObservableInput{Type: "domain", Value: "sirekap-helpdesk.example.net", Note: "situs tiruan"})

	lead := s.create("analis.bin", incident.Input{Title: str("Rencana serangan DDoS ke Sirekap saat rekapitulasi"),
		Description: str("Sumber tertutup: kelompok penyewa botnet membahas sasaran dan waktu."),
		Category:    str("availability"), Severity: str("high"), Region: str(""), TLP: str("RED"), DetectedAt: ago(2 * time.Hour),
		Participants: &incident.Participants{Users: []string{"koordinator.bssn"}}})
	s.edit("koordinator.bssn", lead, incident.Update{Status: str("triage"), Assignee: str("analis.bin")})

	dup := s.create("operator.bandung", incident.Input{Title: str("Halaman KPU Kabupaten Bandung berubah"),
		Category: str("intrusions"), Severity: str("medium"), Region: str("32.04"), TLP: str("AMBER"), DetectedAt: ago(4 * time.Hour)})
	s.merge("koordinator.jabar", dup, deface, "Laporan kedua dari operator kabupaten untuk kejadian yang sama")

	noise := s.create("analis.jabar", incident.Input{Title: str("Lonjakan trafik ke situs KPU Jawa Barat"),
		Category: str("availability"), Severity: str("low"), Region: str("32"), TLP: str("GREEN"), DetectedAt: ago(26 * time.Hour)})
	s.close("koordinator.jabar", noise, "false_positive")
	return s.made, s.err
}

// seeder runs the demo's steps, stopping at the first error.
type seeder struct {
	ctx      context.Context
	db       *store.DB
	tree     *org.Tree
	notifier *notify.Notifier
	made     int
	err      error
}

func (s *seeder) as(username string) (who auth.Principal, ok bool) {
	if s.err != nil {
		return who, false
	}
	who, s.err = principal(s.ctx, s.db, s.tree, username)
	return who, s.err == nil
}

func (s *seeder) tell(who auth.Principal, kind, ref, comment string) {
	s.notifier.Incident(s.ctx, who, kind, ref, comment)
}

func (s *seeder) create(user string, in incident.Input) string {
	who, ok := s.as(user)
	if !ok {
		return ""
	}
	i, err := incident.Create(s.ctx, s.db, who, s.tree, in)
	if err != nil {
		s.err = fmt.Errorf("demo incident %q: %w", *in.Title, err)
		return ""
	}
	s.made++
	s.tell(who, notify.IncidentCreated, i.HumanID, "")
	return i.HumanID
}

func (s *seeder) escalate(user, ref, reason string) {
	if who, ok := s.as(user); ok {
		if _, s.err = incident.Escalate(s.ctx, s.db, who, s.tree, ref, reason); s.err == nil {
			s.tell(who, notify.IncidentEscalated, ref, "")
		}
	}
}

func (s *seeder) task(user, ref string, in incident.TaskInput) {
	if who, ok := s.as(user); ok {
		if _, s.err = incident.CreateTask(s.ctx, s.db, who, s.tree, ref, in); s.err == nil {
			s.tell(who, notify.IncidentTask, ref, "")
		}
	}
}

func (s *seeder) observable(user, ref string, in incident.ObservableInput) {
	if who, ok := s.as(user); ok {
		_, _, s.err = incident.AddObservable(s.ctx, s.db, who, ref, in)
	}
}

func (s *seeder) comment(user, ref, body string) {
	if who, ok := s.as(user); ok {
		if _, s.err = incident.Comment(s.ctx, s.db, who, ref, body); s.err == nil {
			s.tell(who, notify.IncidentComment, ref, body)
		}
	}
}

func (s *seeder) breach(user, ref string, in incident.PDPInput) {
	if who, ok := s.as(user); ok {
		_, s.err = incident.MarkBreach(s.ctx, s.db, who, ref, in)
	}
}

func (s *seeder) edit(user, ref string, up incident.Update) {
	if who, ok := s.as(user); ok {
		if _, s.err = incident.Edit(s.ctx, s.db, who, ref, up); s.err == nil {
			s.tell(who, notify.IncidentUpdated, ref, "")
		}
	}
}

func (s *seeder) merge(user, ref, into, reason string) {
	if who, ok := s.as(user); ok {
		_, s.err = incident.Merge(s.ctx, s.db, who, ref, into, reason)
	}
}

func (s *seeder) close(user, ref, resolution string) {
	if who, ok := s.as(user); ok {
		status := "closed"
		_, s.err = incident.Edit(s.ctx, s.db, who, ref, incident.Update{Status: &status, Resolution: &resolution})
	}
}

func str(s string) *string { return &s }

func later(now time.Time, d time.Duration) *time.Time { t := now.Add(d); return &t }
