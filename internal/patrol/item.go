package patrol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/evidence"
	"github.com/garda-id/garda/internal/participant"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/region"
	"github.com/garda-id/garda/internal/store"
)

// EvidenceFolder is where items' stored copies live in the evidence store
// (content-addressed: the same page captured twice is one file).
const EvidenceFolder = "patrol"

// Item is one URL or post found by the patrol.
type Item struct {
	ID             int64        `json:"id"`
	HumanID        string       `json:"human_id"`
	Key            string       `json:"key"`
	URL            string       `json:"url,omitempty"`
	SourceID       int64        `json:"source_id,omitempty"`
	Source         string       `json:"source,omitempty"` // its name
	Platform       string       `json:"platform"`
	Author         string       `json:"author,omitempty"`
	Title          string       `json:"title,omitempty"`
	Text           string       `json:"text"`
	OCRText        string       `json:"ocr_text,omitempty"`
	OCRStatus      string       `json:"ocr_status"`
	TextSHA256     string       `json:"text_sha256"`
	EvidenceSHA256 string       `json:"evidence_sha256,omitempty"`
	EvidenceSize   int64        `json:"evidence_size,omitempty"`
	EvidenceType   string       `json:"evidence_type,omitempty"`
	PublishedAt    *time.Time   `json:"published_at,omitempty"`
	FirstSeen      time.Time    `json:"first_seen"`
	LastSeen       time.Time    `json:"last_seen"`
	SeenCount      int          `json:"seen_count"`
	Engagement     Engagement   `json:"engagement"`
	Matches        []ClaimMatch `json:"matches"`
	MatchStatus    string       `json:"match_status"`
	ClaimID        string       `json:"claim_id,omitempty"`
	PII            PIICounts    `json:"pii"`
	PIIStatus      string       `json:"pii_status"`
	Label          Label        `json:"label,omitempty"`
	LabelledBy     string       `json:"labelled_by,omitempty"`
	LabelledAt     *time.Time   `json:"labelled_at,omitempty"`
	IncidentID     int64        `json:"incident_id,omitempty"`
	TLP            policy.TLP   `json:"tlp"`
	Region         string       `json:"region"`
	Owner          string       `json:"owner"`
	OwnerID        int64        `json:"-"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	// Focus is the focus words of the calendar's phase running when the
	// item was first saved that its text held (empty: none).
	Focus []string `json:"focus"`

	access policy.Record
}

// HumanID names an item for people: PTR-000123.
func HumanID(id int64) string { return fmt.Sprintf("PTR-%06d", id) }

// Record is the item as policy judges it (filled when one is read).
func (it Item) Record() policy.Record { return it.access }

// Evidence is the item's stored copy as the evidence store knows it.
func (it Item) Evidence() evidence.File {
	return evidence.File{SHA256: it.EvidenceSHA256, Size: it.EvidenceSize, ContentType: it.EvidenceType, Name: "capture"}
}

const itemColumns = `i.id, i.item_key, i.url, COALESCE(i.source_id, 0), COALESCE(s.name, ''), i.platform, i.author, i.title, i.body, i.ocr_text, i.ocr_status,
	i.text_sha256, i.evidence_sha256, i.evidence_size, i.evidence_type, i.published_at, i.first_seen, i.last_seen, i.seen_count,
	i.likes, i.shares, i.comments, i.views, i.matches, i.match_status, i.claim_id, i.pii_nik, i.pii_kk, i.pii_npwp, i.pii_phone,
	i.pii_regions, i.pii_status, i.label, i.labelled_by, i.labelled_at, COALESCE(i.incident_id, 0), i.tlp, i.region, o.slug,
	i.owner_org_id, i.created_at, i.updated_at, i.focus`

const itemFrom = ` FROM patrol_items i JOIN orgs o ON o.id = i.owner_org_id LEFT JOIN patrol_sources s ON s.id = i.source_id`

func scanItem(row store.Scanner) (Item, error) {
	var it Item
	var matches, regions, label, tlp, focus string
	if err := row.Scan(&it.ID, &it.Key, &it.URL, &it.SourceID, &it.Source, &it.Platform, &it.Author, &it.Title, &it.Text, &it.OCRText, &it.OCRStatus,
		&it.TextSHA256, &it.EvidenceSHA256, &it.EvidenceSize, &it.EvidenceType, &it.PublishedAt, &it.FirstSeen, &it.LastSeen, &it.SeenCount,
		&it.Engagement.Likes, &it.Engagement.Shares, &it.Engagement.Comments, &it.Engagement.Views, &matches, &it.MatchStatus, &it.ClaimID,
		&it.PII.NIK, &it.PII.KK, &it.PII.NPWP, &it.PII.Phone, &regions, &it.PIIStatus, &label, &it.LabelledBy, &it.LabelledAt,
		&it.IncidentID, &tlp, &it.Region, &it.Owner, &it.OwnerID, &it.CreatedAt, &it.UpdatedAt, &focus); err != nil {
		return Item{}, err
	}
	it.Label, it.TLP, it.HumanID = Label(label), policy.TLP(tlp), HumanID(it.ID)
	if err := json.Unmarshal([]byte(matches), &it.Matches); err != nil {
		return Item{}, fmt.Errorf("patrol item %d: stored matches are corrupt: %w", it.ID, err)
	}
	if err := json.Unmarshal([]byte(regions), &it.PII.Regions); err != nil {
		return Item{}, fmt.Errorf("patrol item %d: stored PII regions are corrupt: %w", it.ID, err)
	}
	if err := json.Unmarshal([]byte(focus), &it.Focus); err != nil {
		return Item{}, fmt.Errorf("patrol item %d: stored focus words are corrupt: %w", it.ID, err)
	}
	return it, nil
}

func withAccess(ctx context.Context, q store.Querier, it *Item) error {
	var err error
	it.access, err = participant.Record(ctx, q, RecordKind, it.ID, it.OwnerID, it.Region, it.TLP)
	return err
}

// Get reads one item; one the principal may not read is not found.
func Get(ctx context.Context, q store.Querier, who auth.Principal, id int64) (Item, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	it, err := scanItem(q.QueryRow(ctx, `SELECT `+itemColumns+itemFrom+` WHERE i.id = ? AND `+vis, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Item{}, problem.New(problem.NotFound, "no patrol item %d", id)
	} else if err != nil {
		return Item{}, err
	}
	return it, withAccess(ctx, q, &it)
}

// Sort orders the queue.
type Sort string

const (
	Newest     Sort = "newest"      // first seen, newest first
	MostShared Sort = "most_shared" // engagement, highest first
)

// Filter narrows the queue. The zero Filter lists everything the reader
// may read, newest first.
type Filter struct {
	Region   string
	Platform string
	Label    string // a label, "none" for unlabelled
	SourceID int64
	ClaimID  string
	PIIOnly  bool // only items with personal data found
	Focus    bool // only items holding the focus words of the phase they were found in
	Since    time.Time
	Sort     Sort
	After    int64 // cursor (newest: ids below; most shared: the row after this id)
	Limit    int   // default 50, at most 500
}

// List returns the items the principal may read, up to Limit+1 so the
// caller can tell whether there is more. Visibility is decided in the
// query.
func List(ctx context.Context, q store.Querier, who auth.Principal, f Filter) ([]Item, error) {
	vis, args := policy.ReadFilter(who.Viewer, RecordKind, "i")
	where := []string{vis}
	if f.Region != "" {
		if !region.Valid(f.Region) {
			return nil, problem.Field("region", "unknown region code %q", f.Region)
		}
		if cond, cargs := policy.InRegion(who.Viewer, "i", f.Region); cond != "" {
			where, args = append(where, cond), append(args, cargs...)
		}
	}
	if f.Platform != "" {
		if PlatformOf(f.Platform, "") != f.Platform {
			return nil, problem.Field("platform", "must be one of %s", strings.Join(Platforms, ", "))
		}
		where, args = append(where, "i.platform = ?"), append(args, f.Platform)
	}
	switch {
	case f.Label == "":
	case f.Label == "none":
		where = append(where, "i.label = ''")
	case Label(f.Label).Valid():
		where, args = append(where, "i.label = ?"), append(args, f.Label)
	default:
		return nil, problem.Field("label", "must be none or one of %s", labelNames())
	}
	if f.SourceID > 0 {
		where, args = append(where, "i.source_id = ?"), append(args, f.SourceID)
	}
	if f.ClaimID != "" {
		where, args = append(where, "i.claim_id = ?"), append(args, f.ClaimID)
	}
	if f.PIIOnly {
		where = append(where, "(i.pii_nik + i.pii_kk + i.pii_npwp + i.pii_phone) > 0")
	}
	if f.Focus {
		where = append(where, "i.focus <> '[]'")
	}
	if !f.Since.IsZero() {
		where, args = append(where, "i.first_seen >= ?"), append(args, f.Since)
	}
	order := "i.id DESC"
	switch f.Sort {
	case "", Newest:
		if f.After > 0 {
			where, args = append(where, "i.id < ?"), append(args, f.After)
		}
	case MostShared:
		order = "i.engagement DESC, i.id DESC"
		if f.After > 0 {
			where = append(where, "(i.engagement < (SELECT engagement FROM patrol_items WHERE id = ?) OR (i.engagement = (SELECT engagement FROM patrol_items WHERE id = ?) AND i.id < ?))")
			args = append(args, f.After, f.After, f.After)
		}
	default:
		return nil, problem.Field("sort", "must be newest or most_shared")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := q.Query(ctx, `SELECT `+itemColumns+itemFrom+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+order+` LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list patrol items: %w", err)
	}
	return store.Collect(rows, scanItem)
}

func labelNames() string {
	var s []string
	for _, l := range Labels {
		s = append(s, string(l))
	}
	return strings.Join(s, ", ")
}

// Owner is who an item belongs to when it is stored: the patrolling
// organisation, the region it concerns and its label.
type Owner struct {
	OrgID    int64
	Region   string
	TLP      policy.TLP // "" = AMBER
	SourceID int64      // 0: none (the API, a one-off import)
	// Users are named users (the person who sent it, when one did).
	Users []int64
}

// Saved says what Save did.
type Saved struct {
	ID      int64  `json:"id"`
	New     bool   `json:"new"` // false: an item seen again
	HumanID string `json:"human_id"`
}

// Saver stores processed posts as items: the stored copy in the evidence
// store, the record, its participants, its history and its audit entry in
// one transaction.
type Saver struct {
	DB       *store.DB
	Evidence evidence.Store // Dir "": no stored copy (said on the item page)
	// Now is the clock the calendar's phase is read at (nil: the real
	// one); tests walk it through an election.
	Now func() time.Time
}

// Save stores one processed post for owner. An item already known (same
// organisation and URL or post) is seen again: last_seen, engagement and
// its count move, its text and label stay as first captured.
func (s Saver) Save(ctx context.Context, who audit.Actor, owner Owner, p Processed) (Saved, error) {
	out, err := s.save(ctx, who, owner, p)
	if errors.Is(err, store.ErrConflict) {
		// Another instance stored the same post a moment before: it is
		// seen again.
		out, err = s.save(ctx, who, owner, p)
	}
	return out, err
}

func (s Saver) save(ctx context.Context, who audit.Actor, owner Owner, p Processed) (Saved, error) {
	if owner.TLP == "" {
		owner.TLP = policy.Amber
	}
	if !owner.TLP.Valid() {
		return Saved{}, problem.Field("tlp", "unknown TLP %q", owner.TLP)
	}
	if owner.Region != "" && !region.Valid(owner.Region) {
		return Saved{}, problem.Field("region", "unknown region code %q", owner.Region)
	}
	now := store.Now()
	if s.Now != nil {
		now = s.Now().UTC()
	}
	var out Saved
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM patrol_items WHERE owner_org_id = ? AND item_key = ?`, owner.OrgID, p.Key).Scan(&id)
		if err == nil {
			out = Saved{ID: id, HumanID: HumanID(id)}
			if _, err := tx.Exec(ctx, `UPDATE patrol_items SET last_seen = ?, seen_count = seen_count + 1,
				likes = CASE WHEN likes < ? THEN ? ELSE likes END, shares = CASE WHEN shares < ? THEN ? ELSE shares END,
				comments = CASE WHEN comments < ? THEN ? ELSE comments END, views = CASE WHEN views < ? THEN ? ELSE views END,
				updated_at = ? WHERE id = ?`, now, p.Likes, p.Likes, p.Shares, p.Shares, p.Comments, p.Comments, p.Views, p.Views, now, id); err != nil {
				return fmt.Errorf("patrol item %d seen again: %w", id, err)
			}
			_, err = tx.Exec(ctx, `UPDATE patrol_items SET engagement = likes + shares + comments WHERE id = ?`, id)
			return err
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var ev evidence.File
		if s.Evidence.Dir != "" {
			raw := p.Raw
			if len(raw) == 0 {
				raw = []byte(p.Title + "\n\n" + p.Text)
			}
			var err error
			if ev, _, err = s.Evidence.Put(EvidenceFolder, "capture", bytes.NewReader(raw)); err != nil {
				return fmt.Errorf("patrol: store the captured copy: %w", err)
			}
			// The file stays even if the record fails: content-addressed, it
			// is the same bytes the next capture of this page would store.
		}
		// The patrol's focus words of the phase running now in the item's
		// region (the calendar's, shipped and entered) that its text holds.
		cal, err := calendar.Load(ctx, tx)
		if err != nil {
			return err
		}
		focus, _ := json.Marshal(nonNil(calendar.FocusIn(cal.FocusAt(now, calendar.ZoneOf(owner.Region)), p.Title+"\n"+p.Text+"\n"+p.OCRText)))
		matches, _ := json.Marshal(nonNil(p.Matches))
		regions, _ := json.Marshal(nonNilMap(p.PII.Regions))
		var source any
		if owner.SourceID > 0 {
			source = owner.SourceID
		}
		if err := tx.QueryRow(ctx, `INSERT INTO patrol_items (item_key, url, source_id, platform, author, title, body, ocr_text, ocr_status,
			text_sha256, evidence_sha256, evidence_size, evidence_type, published_at, first_seen, last_seen, seen_count,
			likes, shares, comments, views, engagement, matches, match_status, pii_nik, pii_kk, pii_npwp, pii_phone, pii_regions, pii_status,
			tlp, region, owner_org_id, created_at, updated_at, focus)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.Key, p.URL, source, p.Platform, p.Author, p.Title, p.Text, p.OCRText, p.OCRStatus,
			p.TextSHA256, ev.SHA256, ev.Size, ev.ContentType, p.Published, now, now,
			p.Likes, p.Shares, p.Comments, p.Views, p.Engagement.Sum(), string(matches), p.MatchStatus,
			p.PII.NIK, p.PII.KK, p.PII.NPWP, p.PII.Phone, string(regions), p.PIIStatus,
			string(owner.TLP), owner.Region, owner.OrgID, now, now, string(focus)).Scan(&id); err != nil {
			return fmt.Errorf("patrol: store item: %w", err)
		}
		out = Saved{ID: id, New: true, HumanID: HumanID(id)}
		if err := participant.Add(ctx, tx, RecordKind, id, participant.Set{Orgs: []int64{owner.OrgID}, Users: owner.Users}); err != nil {
			return err
		}
		if ev.SHA256 != "" {
			if err := addEvent(ctx, tx, id, now, who, EventCaptured, ev.SHA256, ""); err != nil {
				return err
			}
		}
		if owner.SourceID > 0 {
			if _, err := tx.Exec(ctx, `UPDATE patrol_sources SET items_found = items_found + 1 WHERE id = ?`, owner.SourceID); err != nil {
				return err
			}
		}
		// The audit entry names what was captured, never the text (it may
		// hold personal data) nor PII values (there are none: counts).
		return audit.Record(ctx, tx, who, "patrol.item.capture", RecordKind, id, map[string]any{
			"key": clip(p.Key, 300), "platform": p.Platform, "text_sha256": p.TextSHA256, "evidence_sha256": ev.SHA256,
			"source_id": owner.SourceID, "pii_total": p.PII.Total(), "matches": len(p.Matches), "focus": json.RawMessage(focus),
		})
	})
	return out, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
