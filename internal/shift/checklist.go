package shift

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/asset"
	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// CheckTemplate is one item of the early-detection checklist every shift
// works through.
type CheckTemplate struct {
	Key   string `json:"key"`
	Label string `json:"label"` // Bahasa Indonesia
}

// Checklist is the template of every shift's early-detection checklist.
var Checklist = []CheckTemplate{
	{"situs", "Periksa situs-situs wilayah (tampilan, ketersediaan, perubahan)"},
	{"antrean_peringatan", "Periksa antrean peringatan yang belum ditangani"},
	{"antrean_patroli", "Periksa antrean patroli konten"},
	{"aset_senyap", "Periksa aset yang berhenti mengirim log"},
}

// QuietAfter is how long a log sender may be silent before its asset
// counts as gone quiet.
const QuietAfter = 6 * time.Hour

// Check is a checklist item on one shift: what it asks, what Garda counts
// for it now, and who ticked it.
type Check struct {
	CheckTemplate
	Count  int        `json:"count"` // sites, alerts waiting, patrol items waiting, quiet assets
	Link   string     `json:"link"`
	Done   bool       `json:"done"`
	DoneBy string     `json:"done_by,omitempty"`
	DoneAt *time.Time `json:"done_at,omitempty"`
	Note   string     `json:"note,omitempty"`
}

// ChecklistView is a shift's checklist with its completion.
type ChecklistView struct {
	Shift string  `json:"shift"`
	Items []Check `json:"items"`
	Done  int     `json:"done"`
	Total int     `json:"total"`
}

// GetChecklist returns the checklist of the shift named as who sees it.
func GetChecklist(ctx context.Context, db store.Querier, who auth.Principal, roomID int64, name string, now time.Time) (ChecklistView, error) {
	s, err := Get(ctx, db, who, roomID, name, now)
	if err != nil {
		return ChecklistView{}, err
	}
	r, err := readable(ctx, db, who, roomID)
	if err != nil {
		return ChecklistView{}, err
	}
	v := ChecklistView{Shift: s.Name, Total: len(Checklist)}
	counts, err := checkCounts(ctx, db, who, r.Region, now)
	if err != nil {
		return v, err
	}
	done := map[string]Check{}
	if s.ID != 0 {
		rows, err := db.Query(ctx, `SELECT c.item, u.username, c.done_at, c.note FROM shift_checks c JOIN users u ON u.id = c.done_by WHERE c.shift_id = ?`, s.ID)
		if err != nil {
			return v, err
		}
		list, err := store.Collect(rows, func(sc store.Scanner) (Check, error) {
			var c Check
			return c, sc.Scan(&c.Key, &c.DoneBy, &c.DoneAt, &c.Note)
		})
		if err != nil {
			return v, err
		}
		for _, c := range list {
			done[c.Key] = c
		}
	}
	links := map[string]string{"situs": "/aset?kind=site", "antrean_peringatan": "/pemantauan?status=new", "antrean_patroli": "/patroli", "aset_senyap": "/aset"}
	for _, t := range Checklist {
		c := Check{CheckTemplate: t, Count: counts[t.Key], Link: links[t.Key]}
		if d, ok := done[t.Key]; ok {
			c.Done, c.DoneBy, c.DoneAt, c.Note = true, d.DoneBy, d.DoneAt, d.Note
			v.Done++
		}
		v.Items = append(v.Items, c)
	}
	return v, nil
}

// checkCounts counts, in region as who sees it, what each item looks at.
func checkCounts(ctx context.Context, q store.Querier, who auth.Principal, region string, now time.Time) (map[string]int, error) {
	out := map[string]int{}
	vis, vargs := policy.ReadFilter(who.Viewer, asset.RecordKind, "a")
	rw, rargs := regionWhere("a", region)
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM assets a WHERE a.kind IN ('site', 'web_app')`+rw+` AND `+vis, append(rargs, vargs...)...).Scan(&n); err != nil {
		return nil, fmt.Errorf("count sites: %w", err)
	}
	out["situs"] = n
	if err := q.QueryRow(ctx, `SELECT COUNT(DISTINCT a.id) FROM assets a JOIN ingest_keys k ON k.asset_id = a.id AND k.revoked_at IS NULL
		WHERE (k.last_used_at IS NULL OR k.last_used_at < ?)`+rw+` AND `+vis, append(append([]any{now.Add(-QuietAfter)}, rargs...), vargs...)...).Scan(&n); err != nil {
		return nil, fmt.Errorf("count quiet assets: %w", err)
	}
	out["aset_senyap"] = n
	for key, kind := range map[string]string{"antrean_peringatan": ItemAlert, "antrean_patroli": ItemPatrol} {
		s, err := countOf(ctx, q, who, kind, region, now)
		if err != nil {
			return nil, err
		}
		out[key] = s
	}
	return out, nil
}

// countOf counts the pending items of a kind.
func countOf(ctx context.Context, q store.Querier, who auth.Principal, kind, region string, now time.Time) (int, error) {
	kq := kindQueries[kind]
	vis, vargs := policy.ReadFilter(who.Viewer, kq.kind, kq.alias)
	rw, rargs := regionWhere(kq.alias, region)
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM `+kq.table+` `+kq.alias+` WHERE `+kq.cond+rw+` AND `+vis,
		append(append(kq.with(now), rargs...), vargs...)...).Scan(&n)
	return n, err
}

// Tick marks a checklist item of the shift running at now done, by
// someone on the room's staff; audited. Ticking twice keeps the first.
func Tick(ctx context.Context, db *store.DB, who auth.Principal, roomID int64, item, note string, now time.Time) (ChecklistView, error) {
	if !slices.ContainsFunc(Checklist, func(t CheckTemplate) bool { return t.Key == item }) {
		return ChecklistView{}, problem.Field("item", "unknown checklist item %q", item)
	}
	if len(note) > 2000 {
		return ChecklistView{}, problem.Field("note", "at most 2,000 characters")
	}
	_, w, err := ownShift(ctx, db, who, roomID, now)
	if err != nil {
		return ChecklistView{}, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		id, err := ensure(ctx, tx, roomID, w)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `INSERT INTO shift_checks (shift_id, item, done_by, done_at, note) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (shift_id, item) DO NOTHING`, id, item, who.User.ID, now, note)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, who.Actor(), "shift.check", RecordKind, id, map[string]any{"room_id": roomID, "shift": w.ID(), "item": item})
	})
	if err != nil {
		return ChecklistView{}, err
	}
	return GetChecklist(ctx, db, who, roomID, w.ID(), now)
}
