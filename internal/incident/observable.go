package incident

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// ObservableTypes lists what an observable may be. nik_count is a number
// of affected NIKs: NIK values themselves are never stored.
var ObservableTypes = []string{"ip", "domain", "url", "hash", "email", "account", "nik_count"}

// maxNIKCount bounds nik_count: more than everyone in Indonesia is a typo.
const maxNIKCount = 400_000_000

// Observable is an indicator seen in an incident.
type Observable struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Type       string    `json:"type"`
	Value      string    `json:"value"`
	HashKind   string    `json:"hash_kind,omitempty"` // md5, sha1, sha256 (by length)
	Note       string    `json:"note,omitempty"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// ObservableInput is what a person sends.
type ObservableInput struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	Note  string `json:"note"`
}

// hashKinds maps a hex digest's length to its algorithm.
var hashKinds = map[int]string{32: "md5", 40: "sha1", 64: "sha256"}

// HasNIK reports whether s holds a 16-digit number, the shape of a NIK
// (Nomor Induk Kependudukan): a run of 16 digits, also when its groups are
// split by single spaces, dots or dashes ("3204 1234 5678 0001").
func HasNIK(s string) bool {
	plain, grouped := 0, 0 // digits in this run; digits in this run of groups
	afterDigit := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			plain++
			grouped++
			afterDigit = true
			continue
		case (r == ' ' || r == '.' || r == '-') && afterDigit:
			if plain == 16 {
				return true
			}
			plain, afterDigit = 0, false
			continue
		}
		if plain == 16 || grouped == 16 {
			return true
		}
		plain, grouped, afterDigit = 0, 0, false
	}
	return plain == 16 || grouped == 16
}

func refuseNIK(field, s string) error {
	if HasNIK(s) {
		return problem.Field(field, "holds a 16-digit number, the shape of a NIK: never record NIK values; record how many were affected as a nik_count observable")
	}
	return nil
}

func plainText(field, s string, max int) error {
	if !utf8.ValidString(s) || len(s) > max {
		return problem.Field(field, "at most %d characters of valid UTF-8", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return problem.Field(field, "holds a control character")
		}
	}
	return nil
}

// normaliseObservable validates a value for its type and returns its
// canonical form (the de-duplication key).
func normaliseObservable(typ, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", problem.Field("value", "is required")
	}
	if err := plainText("value", v, 2048); err != nil {
		return "", err
	}
	if strings.ContainsAny(v, "\n\t") {
		return "", problem.Field("value", "must be one line")
	}
	// Hashes are hex of a fixed length, never a NIK; every other value is checked.
	if typ != "hash" {
		if err := refuseNIK("value", v); err != nil {
			return "", err
		}
	}
	switch typ {
	case "ip":
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return "", problem.Field("value", "%q is not an IPv4 or IPv6 address", v)
		}
		return a.Unmap().String(), nil
	case "domain":
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if !validDomain(d) {
			return "", problem.Field("value", "%q is not a domain name", v)
		}
		return d, nil
	case "url":
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ftp") || u.Host == "" {
			return "", problem.Field("value", "%q is not an absolute http, https or ftp URL", v)
		}
		u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		return u.String(), nil
	case "hash":
		h := strings.ToLower(v)
		if _, ok := hashKinds[len(h)]; !ok {
			return "", problem.Field("value", "a hash is 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hex digits")
		}
		if _, err := hex.DecodeString(h); err != nil {
			return "", problem.Field("value", "a hash is hex digits only")
		}
		return h, nil
	case "email":
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || a.Name != "" {
			return "", problem.Field("value", "%q is not a bare e-mail address", v)
		}
		at := strings.LastIndexByte(v, '@')
		return v[:at] + "@" + strings.ToLower(v[at+1:]), nil
	case "account":
		if len(v) > 256 {
			return "", problem.Field("value", "an account is at most 256 characters")
		}
		return v, nil
	case "nik_count":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > maxNIKCount {
			return "", problem.Field("value", "nik_count is how many NIKs were affected: a whole number from 1 to %d", maxNIKCount)
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", oneOf("type", typ, ObservableTypes)
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// AddObservable records an observable on an incident. An observable the
// incident already holds is returned as it is, with created false.
func AddObservable(ctx context.Context, db *store.DB, who auth.Principal, ref string, in ObservableInput) (o Observable, created bool, err error) {
	typ := strings.TrimSpace(strings.ToLower(in.Type))
	if err := oneOf("type", typ, ObservableTypes); err != nil {
		return Observable{}, false, err
	}
	value, err := normaliseObservable(typ, in.Value)
	if err != nil {
		return Observable{}, false, err
	}
	note := strings.TrimSpace(in.Note)
	if err := plainText("note", note, 2000); err != nil {
		return Observable{}, false, err
	}
	if err := refuseNIK("note", note); err != nil {
		return Observable{}, false, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		inc, err := get(ctx, tx, who, ref)
		if err != nil {
			return err
		}
		if err := allow(who, inc, policy.CaseObservable, "adding observables"); err != nil {
			return err
		}
		now := store.Now()
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO incident_observables (incident_id, type, value, note, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, type, value) DO NOTHING RETURNING id`,
			inc.ID, typ, value, note, who.User.ID, now).Scan(&id)
		if errors.Is(err, store.ErrNotFound) { // already there
			o, err = scanObservable(tx.QueryRow(ctx, `SELECT `+obsColumns+` WHERE b.incident_id = ? AND b.type = ? AND b.value = ?`, inc.ID, typ, value))
			return err
		} else if err != nil {
			return fmt.Errorf("insert observable: %w", err)
		}
		created = true
		o = Observable{ID: id, IncidentID: inc.ID, Type: typ, Value: value, Note: note, CreatedBy: who.User.Username, CreatedAt: now}
		if typ == "hash" {
			o.HashKind = hashKinds[len(value)]
		}
		if err := index(ctx, tx, inc.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, now, inc.ID); err != nil {
			return err
		}
		detail := map[string]any{"observable_id": id, "type": typ, "value": value, "note": note}
		if err := addEntry(ctx, tx, who, inc.ID, "observable", "", detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Actor(), "incident.observable.add", RecordKind, inc.ID, detail)
	})
	if err != nil {
		return Observable{}, false, fmt.Errorf("add observable to incident %s: %w", ref, err)
	}
	return o, created, nil
}

const obsColumns = `b.id, b.incident_id, b.type, b.value, b.note, COALESCE(u.username, ''), b.created_at
	FROM incident_observables b LEFT JOIN users u ON u.id = b.created_by`

func scanObservable(row store.Scanner) (Observable, error) {
	var o Observable
	err := row.Scan(&o.ID, &o.IncidentID, &o.Type, &o.Value, &o.Note, &o.CreatedBy, &o.CreatedAt)
	if o.Type == "hash" {
		o.HashKind = hashKinds[len(o.Value)]
	}
	return o, err
}

// Observables lists an incident's observables, oldest first.
func Observables(ctx context.Context, q store.Querier, who auth.Principal, ref string) ([]Observable, error) {
	inc, err := get(ctx, q, who, ref)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+obsColumns+` WHERE b.incident_id = ? ORDER BY b.id`, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("incident observables: %w", err)
	}
	return store.Collect(rows, scanObservable)
}
