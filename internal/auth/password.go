package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/garda-id/garda/internal/problem"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's 19 MiB, 2 passes, 1 lane. The encoded hash
// carries them, so raising them later leaves old hashes verifiable.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPasswordLength is the shortest password accepted, in characters.
const MinPasswordLength = 10

// maxPasswordBytes bounds the work one sign-in asks of argon2.
const maxPasswordBytes = 1024

// HashPassword returns the PHC-format argon2id hash of password. It does
// not judge the password: ValidatePassword does, before a password is set.
func HashPassword(password string) (string, error) {
	if len(password) > maxPasswordBytes {
		return "", problem.Field("password", "must be at most %d characters", maxPasswordBytes)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	mem, iters := uint32(argonMemory), uint32(argonTime)
	if testHashCost.Load() {
		mem, iters = testArgonMemory, 1
	}
	key := argon2.IDKey([]byte(password), salt, iters, mem, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, mem, iters, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// testArgonMemory is the memory (KiB) of a hash made in a test binary.
const testArgonMemory = 64

// testHashCost: in a test binary (testing.Testing, never in garda itself)
// HashPassword is cheap, argon2id over 64 KiB in one pass. The tests create
// and sign in hundreds of people, each hash 19 MiB of work (0.7 s under the
// race detector on a busy machine), and none of them is about the cost:
// the hash still names its parameters and CheckPassword still reads them.
// Tests that run the garda binary get the real cost.
var testHashCost atomic.Bool

func init() {
	if testing.Testing() {
		testHashCost.Store(true)
	}
}

// CheckPassword reports whether password matches the encoded hash.
func CheckPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unsupported password hash")
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false, fmt.Errorf("bad argon2 parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("bad salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("bad key: %w", err)
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked when a username does not exist, so a failed sign-in
// takes as long whether or not the account exists.
// It costs what an account's hash costs (in a test binary both are cheap).
// It is made on first use, not at start: making it is 19 MiB and some 40 ms
// of argon2id, which every garda command (a replay, a scan) paid.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("no-such-account-padding")
	return h
})

// PrepareLogin makes the unknown-account hash in the background, so that
// the first sign-in does not take the time of making it (a server calls it
// when it starts).
func PrepareLogin() { go dummyHash() }
