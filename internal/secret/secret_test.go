package secret

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Setenv(EnvKey, "")
	dir := t.TempDir()
	k, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	sealed, err := k.Seal("a.b", "partner-token")
	if err != nil || !Sealed(sealed) || strings.Contains(sealed, "partner-token") {
		t.Fatalf("sealed %q %v", sealed, err)
	}
	if got, err := k.Open("a.b", sealed); err != nil || got != "partner-token" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := k.Open("c.d", sealed); err != ErrWrongKey {
		t.Fatalf("another column's value opened: %v", err)
	}
	again, err := Load(dir) // the same file: the same key
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open("a.b", sealed); err != nil || got != "partner-token" {
		t.Fatalf("reloaded key: %q %v", got, err)
	}
	if got, _ := k.Open("a.b", "clear-from-before"); got != "clear-from-before" {
		t.Fatal("a clear value is not returned as it is")
	}
	if _, err := k.Open("a.b", sealed[:len(sealed)-4]); err == nil {
		t.Fatal("a damaged value opened")
	}

	t.Setenv(EnvKey, hex.EncodeToString(make([]byte, 32)))
	env, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Open("a.b", sealed); err != ErrWrongKey {
		t.Fatalf("another key opened it: %v", err)
	}
	t.Setenv(EnvKey, "short")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), EnvKey) {
		t.Fatalf("a bad %s: %v", EnvKey, err)
	}
	t.Setenv(EnvKey, "")
	if _, err := Load(""); err == nil {
		t.Fatal("no key and no data dir loaded a key")
	}
}
