package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/markdown"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// PDPNotice is UU PDP article 46's deadline: data subjects and the
// authority are told of a personal-data breach within 3x24 hours.
const PDPNotice = 72 * time.Hour

// PDPCategories are the kinds of personal data an election system holds
// (UU PDP's general and specific data as KPU's systems carry them).
var PDPCategories = []string{
	"nama", "nik", "nomor_kk", "tanggal_lahir", "tempat_lahir", "alamat", "jenis_kelamin", "status_perkawinan",
	"tps", "disabilitas", "kesehatan", "biometrik", "keuangan", "data_anak", "kontak", "lainnya",
}

// PDP is an incident's personal-data breach record.
type PDP struct {
	DataSubjects   int64      `json:"data_subjects"`
	DataCategories []string   `json:"data_categories"`
	MarkedAt       time.Time  `json:"marked_at"`
	MarkedBy       string     `json:"marked_by"`
	NotifiedAt     *time.Time `json:"notified_at,omitempty"`
	NotifiedBy     string     `json:"notified_by,omitempty"`
}

// PDPInput marks (or corrects) a breach.
type PDPInput struct {
	DataSubjects   int64    `json:"data_subjects"`
	DataCategories []string `json:"data_categories"`
}

// MarkBreach records that an incident is a personal-data breach, with the
// number of data subjects (never their NIKs) and the data categories.
func MarkBreach(ctx context.Context, db *store.DB, who auth.Principal, ref string, in PDPInput) (PDP, error) {
	if in.DataSubjects < 1 || in.DataSubjects > 400_000_000 {
		return PDP{}, problem.Field("data_subjects", "the number of data subjects affected: a whole number from 1 to 400,000,000")
	}
	if len(in.DataCategories) == 0 {
		return PDP{}, problem.Field("data_categories", "name at least one category (%s)", strings.Join(PDPCategories, ", "))
	}
	for _, c := range in.DataCategories {
		if !slices.Contains(PDPCategories, c) {
			return PDP{}, problem.Field("data_categories", "unknown category %q (one of %s)", c, strings.Join(PDPCategories, ", "))
		}
	}
	var p PDP
	err := db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := Get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseTriage, "marking a personal-data breach"); err != nil {
			return err
		}
		cats, _ := json.Marshal(in.DataCategories)
		now := store.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO incident_pdp (incident_id, data_subjects, data_categories, marked_at, marked_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (incident_id) DO UPDATE SET data_subjects = excluded.data_subjects, data_categories = excluded.data_categories`,
			inc.ID, in.DataSubjects, string(cats), now, who.User.Username); err != nil {
			return err
		}
		detail := map[string]any{"data_subjects": in.DataSubjects, "data_categories": in.DataCategories}
		if err := addEntry(ctx, tx, who, inc.ID, "pdp", "", detail); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "incident.pdp", RecordKind, inc.ID, detail); err != nil {
			return err
		}
		p, err = loadPDP(ctx, tx, inc.ID)
		return err
	})
	return p, err
}

// RecordNotification records that the breach was notified (stopping its clock).
func RecordNotification(ctx context.Context, db *store.DB, who auth.Principal, ref string) (PDP, error) {
	var p PDP
	err := db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := Get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseClose, "recording the notification (a coordinator's decision)"); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE incident_pdp SET notified_at = ?, notified_by = ? WHERE incident_id = ? AND notified_at IS NULL`,
			store.Now(), who.User.Username, inc.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.Conflict, "%s is not marked as a personal-data breach, or its notification is already recorded", inc.HumanID)
		}
		if err := addEntry(ctx, tx, who, inc.ID, "pdp_notified", "", nil); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, who.Actor(), "incident.pdp_notified", RecordKind, inc.ID, nil); err != nil {
			return err
		}
		p, err = loadPDP(ctx, tx, inc.ID)
		return err
	})
	return p, err
}

func loadPDP(ctx context.Context, q store.Querier, id int64) (PDP, error) {
	var p PDP
	var cats string
	err := q.QueryRow(ctx, `SELECT data_subjects, data_categories, marked_at, marked_by, notified_at, notified_by FROM incident_pdp WHERE incident_id = ?`, id).
		Scan(&p.DataSubjects, &cats, &p.MarkedAt, &p.MarkedBy, &p.NotifiedAt, &p.NotifiedBy)
	if err != nil {
		return PDP{}, err
	}
	json.Unmarshal([]byte(cats), &p.DataCategories)
	return p, nil
}

// BreachOf returns an incident's breach record, or nil when it is none.
func BreachOf(ctx context.Context, q store.Querier, who auth.Principal, ref string) (*PDP, error) {
	inc, err := Get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	return BreachFor(ctx, q, inc)
}

// BreachFor is BreachOf for an incident the caller has already read under
// its reader's visibility (the incident page reads it once for all parts).
func BreachFor(ctx context.Context, q store.Querier, inc Incident) (*PDP, error) {
	p, err := loadPDP(ctx, q, inc.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return &p, err
}

// categoryNames are the categories as the letter writes them.
var categoryNames = map[string]string{
	"nama": "nama lengkap", "nik": "Nomor Induk Kependudukan (NIK)", "nomor_kk": "nomor Kartu Keluarga",
	"tanggal_lahir": "tanggal lahir", "tempat_lahir": "tempat lahir", "alamat": "alamat", "jenis_kelamin": "jenis kelamin",
	"status_perkawinan": "status perkawinan", "tps": "tempat pemungutan suara (TPS)", "disabilitas": "keterangan disabilitas",
	"kesehatan": "data kesehatan", "biometrik": "data biometrik", "keuangan": "data keuangan pribadi", "data_anak": "data anak",
	"kontak": "nomor telepon dan alamat surel", "lainnya": "data pribadi lainnya",
}

var wib = region.WIB

// Letter writes the UU PDP notification letter for a breach, in Bahasa
// Indonesia, as Markdown: what data, when and how, how many people, what
// is being done, and whom to contact.
func Letter(ctx context.Context, q store.Querier, who auth.Principal, ref string) (string, error) {
	inc, err := Get(ctx, q, who, ref)
	if err != nil {
		return "", err
	}
	p, err := loadPDP(ctx, q, inc.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", problem.New(problem.Conflict, "%s is not marked as a personal-data breach", inc.HumanID)
	} else if err != nil {
		return "", err
	}
	var cats []string
	for _, c := range p.DataCategories {
		cats = append(cats, categoryNames[c])
	}
	day := func(t time.Time) string { return t.In(wib).Format("02-01-2006 15:04 WIB") }
	var b strings.Builder
	fmt.Fprintf(&b, "# Pemberitahuan Kegagalan Pelindungan Data Pribadi\n\n")
	fmt.Fprintf(&b, "Nomor: %s/PDP\n\nPerihal: Pemberitahuan kegagalan pelindungan data pribadi\n\n", inc.HumanID)
	fmt.Fprintf(&b, "Kepada Yth.\n\n1. Subjek Data Pribadi yang terdampak\n2. Lembaga Pelindungan Data Pribadi\n\n")
	fmt.Fprintf(&b, "Berdasarkan Pasal 46 Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi, ")
	fmt.Fprintf(&b, "Komisi Pemilihan Umum selaku Pengendali Data Pribadi memberitahukan terjadinya kegagalan pelindungan data pribadi sebagai berikut.\n\n")
	fmt.Fprintf(&b, "**a. Data pribadi yang terungkap:** %s.\n\n", strings.Join(cats, ", "))
	fmt.Fprintf(&b, "**b. Kapan dan bagaimana data pribadi terungkap:** terdeteksi pada %s; %s", day(inc.DetectedAt), markdown.Text(inc.Title))
	if inc.Description != "" {
		fmt.Fprintf(&b, ". %s", strings.TrimSuffix(markdown.Text(inc.Description), "."))
	}
	fmt.Fprintf(&b, ".\n\n")
	fmt.Fprintf(&b, "**c. Jumlah Subjek Data Pribadi yang terdampak:** %s orang.\n\n", thousands(p.DataSubjects))
	fmt.Fprintf(&b, "**d. Upaya penanganan dan pemulihan:** insiden ditangani oleh gugus tugas keamanan siber pemilu (status saat ini: %s).", statusName[inc.Status])
	if inc.ContainedAt != nil {
		fmt.Fprintf(&b, " Kebocoran telah dihentikan pada %s.", day(*inc.ContainedAt))
	}
	fmt.Fprintf(&b, "\n\nPemberitahuan ini disampaikan paling lambat %s (3x24 jam sejak diketahui).\n\n", day(inc.DetectedAt.Add(PDPNotice)))
	owner := inc.Owner
	if err := q.QueryRow(ctx, `SELECT name FROM orgs WHERE slug = ?`, inc.Owner).Scan(&owner); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	fmt.Fprintf(&b, "Narahubung: %s.\n", markdown.Text(owner))
	return b.String(), nil
}

var statusName = map[Status]string{
	New: "baru", Triage: "triase", Containment: "penahanan", Eradication: "pemberantasan",
	Recovery: "pemulihan", Resolved: "terselesaikan", Closed: "ditutup",
}

// thousands writes 204000000 as 204.000.000, as Indonesian does.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}
