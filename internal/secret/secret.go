// Package secret seals the few secrets Garda must keep to speak for the
// task force to its partners (a TAXII partner's password or token, a MISP
// feed's authorisation header) with AES-256-GCM, so that a copy of the
// database (a dump, a stolen disk, a support bundle) does not hand them out.
//
// The key is GARDA_SECRET_KEY (32 bytes, base64 or hex) when set, else the
// file KeyFile in the data dir, created with mode 0600 the first time it is
// needed. Several instances on one PostgreSQL database must share it. The
// package never logs or returns a key, and never stores a secret itself.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the key's file name in the data dir.
const KeyFile = "secret.key"

// EnvKey names the environment variable that, when set, holds the key.
const EnvKey = "GARDA_SECRET_KEY"

// prefix marks a sealed value, so clear values from before sealing are
// told apart (and sealed on start) and a sealed one is never sent as a
// password.
const prefix = "garda-sealed:v1:"

// Key seals and opens secrets.
type Key struct{ aead cipher.AEAD }

// New is the key of 32 raw bytes.
func New(raw []byte) (*Key, error) {
	if len(raw) != 32 {
		return nil, fmt.Errorf("secret key: %d bytes, want 32", len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Key{aead: aead}, nil
}

// parse reads a key written as base64 (standard or URL, padded or not) or
// hex; anything that is not 32 bytes is refused.
func parse(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, nil
		}
	}
	return nil, errors.New("not 32 bytes in base64 or hex (make one with: head -c 32 /dev/urandom | base64)")
}

// Load is the key from GARDA_SECRET_KEY, else from KeyFile in dataDir,
// which is created (0600, 32 random bytes in base64) when it does not
// exist. Without either it is an error: a key made up in memory would
// seal secrets no later start could open.
func Load(dataDir string) (*Key, error) {
	if v, ok := os.LookupEnv(EnvKey); ok && strings.TrimSpace(v) != "" {
		raw, err := parse(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		return New(raw)
	}
	if dataDir == "" {
		return nil, fmt.Errorf("no secret key: set %s or give a data dir (its %s is made on first start)", EnvKey, KeyFile)
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("make secret key: %w", err)
		}
		// O_EXCL: two instances starting at once on one data dir agree on
		// the key the first one wrote.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("write secret key %s: %w", path, werr)
			}
			return New(raw)
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create secret key %s: %w", path, err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	raw, err := parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", path, err)
	}
	return New(raw)
}

// Sealed reports whether v is a sealed value (not a clear one).
func Sealed(v string) bool { return strings.HasPrefix(v, prefix) }

// Seal encrypts plain for the place it is kept (purpose, e.g.
// "taxii_subscriptions.secret"), which is authenticated with it: a value
// copied to another column does not open. The empty secret stays empty.
func (k *Key) Seal(purpose, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	ct := k.aead.Seal(nonce, nonce, []byte(plain), []byte(purpose))
	return prefix + base64.RawStdEncoding.EncodeToString(ct), nil
}

// ErrWrongKey is returned for a sealed value this key cannot open.
var ErrWrongKey = errors.New("the secret was sealed with another key: every instance needs the same " + EnvKey + " or " + KeyFile)

// Open decrypts a sealed value; a clear one (kept before sealing, not yet
// sealed on start) is returned as it is.
func (k *Key) Open(purpose, v string) (string, error) {
	if !Sealed(v) {
		return v, nil
	}
	ct, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(v, prefix))
	if err != nil || len(ct) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", errors.New("a sealed secret is damaged")
	}
	plain, err := k.aead.Open(nil, ct[:k.aead.NonceSize()], ct[k.aead.NonceSize():], []byte(purpose))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}
