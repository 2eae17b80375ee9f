package audit

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/store"
)

// The chain alone proves nothing to someone who can write the database:
// they can delete the newest entries and move the head back, or edit an
// entry and rehash everything after it. So the head is also anchored
// outside the database: a checkpoint (the head's sequence number and hash,
// and when) is signed with an Ed25519 key the database never holds, and
// appended to a file outside the database (and published on the bus, for
// other instances and agencies to keep). VerifyAnchored checks the chain
// against every checkpoint: an entry a checkpoint names must still be
// there with the same hash. Entries written after the newest checkpoint
// are protected only by the chain, until the next checkpoint.

// Default file names, in the data directory.
const (
	KeyFile         = "audit-anchor.key"
	CheckpointsFile = "audit-checkpoints.jsonl"
)

// Checkpoint is a signed statement that the chain had Seq entries, the
// last with hash Hash, at At.
type Checkpoint struct {
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
	Key  string    `json:"key"` // the signer's public key, hex: names the key, trusts nothing
	Sig  string    `json:"sig"` // Ed25519 over message(), base64
}

func (c Checkpoint) message() []byte {
	return fmt.Appendf(nil, "garda-audit-checkpoint/1\n%d\n%s\n%s", c.Seq, c.Hash, c.At.UTC().Format(time.RFC3339Nano))
}

// LoadKey reads the anchor's private key (a hex Ed25519 seed) from path,
// creating it (mode 0600) when create is set and it does not exist.
func LoadKey(path string, create bool) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("audit anchor key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("audit anchor key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("audit anchor key: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(seed) + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			return nil, fmt.Errorf("audit anchor key: %w", err)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit anchor key: %w", err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("audit anchor key %s: not a hex Ed25519 seed", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Anchor writes signed checkpoints of the chain's head.
type Anchor struct {
	Key  ed25519.PrivateKey
	File string // where checkpoints are appended, one JSON object a line
}

// Checkpoint signs the chain's current head and appends it to the file,
// unless the newest checkpoint there already names it. It returns the
// checkpoint and whether it is new. The first checkpoint is written even
// of an empty chain (0 entries), so that once an instance has a key its
// checkpoint file always exists and a missing one means it was removed.
// Only a sound chain is signed: the
// entries since the newest checkpoint (all of them, the first time) are
// verified first, so that each checkpoint extends the one before it and
// a rewrite is never anchored.
func (a *Anchor) Checkpoint(ctx context.Context, db store.Querier, now time.Time) (Checkpoint, bool, error) {
	pub := a.Key.Public().(ed25519.PublicKey)
	old, err := ReadCheckpoints(a.File, pub)
	if err != nil {
		return Checkpoint{}, false, err
	}
	var last Checkpoint
	if len(old) > 0 {
		last = old[len(old)-1]
	}
	var c Checkpoint
	err = db.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&c.Seq, &c.Hash)
	if errors.Is(err, store.ErrNotFound) {
		c.Hash = genesis // an empty chain: its start is what is signed
	} else if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: read head: %w", err)
	}
	if len(old) > 0 && c.Seq == last.Seq && c.Hash == last.Hash {
		return last, false, nil
	}
	if _, err := verify(ctx, db, old, last); err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: not anchoring a broken chain: %w", err)
	}
	c.At, c.Key = now.UTC(), hex.EncodeToString(pub)
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(a.Key, c.message()))
	line, err := json.Marshal(c)
	if err != nil {
		return Checkpoint{}, false, err
	}
	f, err := os.OpenFile(a.File, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: checkpoint file: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: write checkpoint: %w", err)
	}
	return c, true, nil
}

// ReadCheckpoints reads a checkpoint file, checking every signature with
// pub. A missing file has no checkpoints; a line that does not parse or
// whose signature fails is an error naming the line.
func ReadCheckpoints(path string, pub ed25519.PublicKey) ([]Checkpoint, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("audit: checkpoints: %w", err)
	}
	defer f.Close()
	var out []Checkpoint
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("audit: %s line %d: %w", path, line, err)
		}
		sig, err := base64.StdEncoding.DecodeString(c.Sig)
		if err != nil || !ed25519.Verify(pub, c.message(), sig) {
			return nil, fmt.Errorf("audit: %s line %d: the checkpoint's signature does not verify with this instance's key", path, line)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit: checkpoints: %w", err)
	}
	return out, nil
}

// ErrNoCheckpoints is a chain with entries checked against an anchor key
// whose checkpoint file is missing or empty. The anchor signs its first
// checkpoint as its key is made (Anchor.Checkpoint, even of an empty
// chain), so the file was removed or emptied: with the newest entries
// deleted, nothing else would tell.
var ErrNoCheckpoints = errors.New("no signed checkpoint, though this instance has an anchor key: the checkpoint file was removed or emptied")

// VerifyAnchored is Verify, and then the chain against the signed
// checkpoints of an instance that has an anchor key: every checkpointed
// entry must still be there with the hash it had, and a chain with entries
// must have checkpoints (ErrNoCheckpoints). It catches what Verify cannot:
// the newest entries deleted and the head moved back (with or without the
// checkpoint file), or an entry edited and the chain rehashed after it.
func VerifyAnchored(ctx context.Context, db store.Querier, checkpoints []Checkpoint) (int64, error) {
	n, err := verify(ctx, db, checkpoints, Checkpoint{})
	if err == nil && n > 0 && len(checkpoints) == 0 {
		return n, ErrNoCheckpoints
	}
	return n, err
}
