package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func seedEntries(t *testing.T, db *store.DB, from, to int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i <= to; i++ {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return Record(ctx, tx, Actor{Username: "budi", OrgSlug: "bssn"}, "incident.update", "incident", i, map[string]any{"tlp": "RED", "n": i})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func newAnchor(t *testing.T) *Anchor {
	t.Helper()
	dir := t.TempDir()
	key, err := LoadKey(filepath.Join(dir, KeyFile), true)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	again, err := LoadKey(filepath.Join(dir, KeyFile), false)
	if err != nil || !again.Equal(key) {
		t.Fatalf("key read back: %v", err)
	}
	return &Anchor{Key: key, File: filepath.Join(dir, CheckpointsFile)}
}

func (a *Anchor) mustCheckpoint(t *testing.T, db *store.DB, at time.Time) {
	t.Helper()
	if _, fresh, err := a.Checkpoint(context.Background(), db, at); err != nil || !fresh {
		t.Fatalf("checkpoint: %v %v", fresh, err)
	}
}

func verifyAnchored(t *testing.T, db *store.DB, a *Anchor) (int64, error) {
	t.Helper()
	cps, err := ReadCheckpoints(a.File, a.Key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return VerifyAnchored(context.Background(), db, cps)
}

func wantAnchorBroken(t *testing.T, db *store.DB, a *Anchor, seq int64, words string) {
	t.Helper()
	if _, err := Verify(context.Background(), db); err != nil {
		t.Fatalf("the attack should pass the unanchored check (that is the point): %v", err)
	}
	_, err := verifyAnchored(t, db, a)
	var b *BrokenError
	if !errors.As(err, &b) || b.Seq != seq || !strings.Contains(b.Reason, words) {
		t.Fatalf("anchored verify: %v, want entry %d broken (%q)", err, seq, words)
	}
}

// TestAnchorCatchesRewrites: the two rewrites issue 9 names pass the chain's
// own check but not the signed checkpoints kept outside the database.
func TestAnchorCatchesRewrites(t *testing.T) {
	at := time.Date(2029, 2, 14, 8, 0, 0, 0, time.UTC)
	t.Run("newest entries deleted and head moved", func(t *testing.T) {
		storetest.Backends(t, func(t *testing.T, db *store.DB) {
			ctx := context.Background()
			a := newAnchor(t)
			seedEntries(t, db, 1, 6)
			a.mustCheckpoint(t, db, at)
			if _, fresh, err := a.Checkpoint(ctx, db, at.Add(time.Minute)); err != nil || fresh {
				t.Fatalf("a second checkpoint of the same head: %v %v", fresh, err)
			}
			if n, err := verifyAnchored(t, db, a); err != nil || n != 6 {
				t.Fatalf("intact: %d %v", n, err)
			}
			var hash4 string
			db.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = 4`).Scan(&hash4)
			for _, q := range []string{`DELETE FROM audit_log WHERE seq > 4`, `UPDATE audit_head SET seq = 4, hash = '` + hash4 + `' WHERE id = 1`} {
				if _, err := db.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			wantAnchorBroken(t, db, a, 5, "entries 5 to 6 were deleted")
			seedEntries(t, db, 5, 9) // new entries over the gap do not make it whole
			wantAnchorBroken(t, db, a, 6, "signed checkpoint")
			if _, _, err := a.Checkpoint(ctx, db, at.Add(time.Hour)); err == nil {
				t.Fatal("a rewritten chain was anchored")
			}
		})
	})
	t.Run("entry edited and chain rehashed", func(t *testing.T) {
		storetest.Backends(t, func(t *testing.T, db *store.DB) {
			a := newAnchor(t)
			seedEntries(t, db, 1, 3)
			a.mustCheckpoint(t, db, at)
			seedEntries(t, db, 4, 6)
			a.mustCheckpoint(t, db, at.Add(time.Hour))
			rehashFrom(t, db, 2, `{"tlp":"GREEN","n":2}`)
			wantAnchorBroken(t, db, a, 3, "signed checkpoint of 2029-02-14T08:00:00Z")
		})
	})
	t.Run("forged checkpoint", func(t *testing.T) {
		storetest.Backends(t, func(t *testing.T, db *store.DB) {
			a := newAnchor(t)
			seedEntries(t, db, 1, 2)
			a.mustCheckpoint(t, db, at)
			b, _ := os.ReadFile(a.File)
			var c Checkpoint
			json.Unmarshal(b, &c)
			c.Seq = 1
			forged, _ := json.Marshal(c)
			os.WriteFile(a.File, append(forged, '\n'), 0o640)
			if _, err := ReadCheckpoints(a.File, a.Key.Public().(ed25519.PublicKey)); err == nil || !strings.Contains(err.Error(), "line 1") {
				t.Fatalf("a forged checkpoint was read: %v", err)
			}
		})
	})
}

// rehashFrom does what someone with database access and the source code
// can: edit entry seq's detail, then recompute every hash from there and
// move the head, so that the chain is consistent with itself.
func rehashFrom(t *testing.T, db *store.DB, seq int64, detail string) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Exec(ctx, `UPDATE audit_log SET detail = ?, digest = ? WHERE seq = ?`, detail, digest([]byte(detail)), seq); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, `SELECT seq, at, COALESCE(actor_id, 0), actor, actor_org, action, kind, record_id, digest, prev_hash FROM audit_log WHERE seq >= ? ORDER BY seq`, seq-1)
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for rows.Next() {
		var e Entry
		rows.Scan(&e.Seq, &e.At, &e.ActorID, &e.Actor, &e.ActorOrg, &e.Action, &e.Kind, &e.RecordID, &e.Digest, &e.PrevHash)
		entries = append(entries, e)
	}
	rows.Close()
	prev := ""
	for i, e := range entries {
		if i == 0 {
			prev = e.computeHash() // entry seq-1 is untouched
			continue
		}
		e.PrevHash = prev
		e.Hash = e.computeHash()
		if _, err := db.Exec(ctx, `UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?`, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	if _, err := db.Exec(ctx, `UPDATE audit_head SET hash = ? WHERE id = 1`, prev); err != nil {
		t.Fatal(err)
	}
}

// TestMissingCheckpointsFail: an instance with an anchor key has signed a
// checkpoint from its first moment (of its empty chain on a fresh install),
// so a checkpoint file removed or emptied together with the newest entries
// fails the anchored check instead of passing as "no checkpoints yet".
func TestMissingCheckpointsFail(t *testing.T) {
	at := time.Date(2029, 2, 14, 8, 0, 0, 0, time.UTC)
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAnchor(t)
		// A fresh install: the empty chain's start is signed at once, and
		// entries written before the next checkpoint pass.
		if c, fresh, err := a.Checkpoint(ctx, db, at); err != nil || !fresh || c.Seq != 0 {
			t.Fatalf("first checkpoint of an empty chain: %+v %v %v", c, fresh, err)
		}
		if _, fresh, err := a.Checkpoint(ctx, db, at.Add(time.Minute)); err != nil || fresh {
			t.Fatalf("the empty chain signed twice: %v %v", fresh, err)
		}
		seedEntries(t, db, 1, 4)
		if n, err := verifyAnchored(t, db, a); err != nil || n != 4 {
			t.Fatalf("fresh install before its next checkpoint: %d %v", n, err)
		}
		a.mustCheckpoint(t, db, at.Add(2*time.Minute))
		seedEntries(t, db, 5, 6)
		a.mustCheckpoint(t, db, at.Add(3*time.Minute))
		var hash4 string
		db.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = 4`).Scan(&hash4)
		for _, q := range []string{`DELETE FROM audit_log WHERE seq > 4`, `UPDATE audit_head SET seq = 4, hash = '` + hash4 + `' WHERE id = 1`} {
			if _, err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		for name, drop := range map[string]func() error{
			"removed": func() error { return os.Remove(a.File) },
			"emptied": func() error { return os.WriteFile(a.File, nil, 0o640) },
		} {
			if err := drop(); err != nil {
				t.Fatal(err)
			}
			if _, err := verifyAnchored(t, db, a); !errors.Is(err, ErrNoCheckpoints) {
				t.Errorf("checkpoint file %s with the newest entries: %v", name, err)
			}
		}
	})
}
