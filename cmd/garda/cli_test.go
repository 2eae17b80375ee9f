package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/incident"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
)

// garda runs the built binary and returns stdout, stderr and the exit code.
func garda(t *testing.T, bin, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestCLIAccountsAndAuditTamper uses the commands in the form scripts use,
// then edits one audit row by hand with SQL and expects verify to name it.
func TestCLIAccountsAndAuditTamper(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	dir := t.TempDir()
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, bin, stdin, args...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	must("", "migrate", "--data-dir", dir)
	must("rahasia-provinsi-32\n", "user", "create", "--data-dir", dir, "--username", "op.jabar", "--org", "kpu-32", "--role", "operator", "--scope", "32", "--password-stdin")
	must("rahasia-nasional-1\n", "user", "create", "--data-dir", dir, "--username", "bssn.1", "--org", "bssn", "--role", "analyst", "--scope", "", "--password-stdin")
	for _, bad := range [][]string{
		{"user", "create", "--data-dir", dir, "--username", "x.y", "--org", "kpu-99", "--role", "operator", "--scope", "32", "--password-stdin"},
		{"user", "create", "--data-dir", dir, "--username", "x.y", "--org", "kpu-32", "--role", "emperor", "--scope", "32", "--password-stdin"},
		{"user", "create", "--data-dir", dir, "--username", "x.y", "--org", "kpu-32", "--role", "viewer", "--scope", "31", "--password-stdin"},
		{"user", "create", "--data-dir", dir, "--username", "op.jabar", "--org", "kpu-32", "--role", "viewer", "--scope", "32", "--password-stdin"},
	} {
		if _, errOut, code := garda(t, bin, "a long enough password\n", bad...); code == 0 || !strings.Contains(errOut, "garda: ") {
			t.Errorf("garda %v: exit %d, %q", bad[5:], code, errOut)
		}
	}
	list := must("", "user", "list", "--data-dir", dir)
	if !strings.Contains(list, "op.jabar") || !strings.Contains(list, "national") || strings.Contains(list, "x.y") {
		t.Errorf("user list:\n%s", list)
	}
	jabarTok := strings.TrimSpace(must("", "token", "create", "--data-dir", dir, "--username", "op.jabar"))
	if out := must("another-password-9\n", "user", "passwd", "--data-dir", dir, "--username", "op.jabar", "--password-stdin"); !strings.Contains(out, "tokens") {
		t.Errorf("passwd does not say what it ended: %q", out)
	}
	tok := strings.TrimSpace(must("", "token", "create", "--data-dir", dir, "--username", "bssn.1"))
	if !strings.HasPrefix(tok, "garda_") {
		t.Fatalf("token create printed %q", tok)
	}
	must("", "token", "revoke", "--data-dir", dir, "--id", "2")
	must("", "user", "disable", "--data-dir", dir, "--username", "op.jabar")
	if out := must("", "audit", "verify", "--data-dir", dir); !strings.Contains(out, "intact") || !strings.Contains(out, "itself only") {
		t.Fatalf("verify: %s", out)
	}
	if out := must("", "audit", "checkpoint", "--data-dir", dir); !strings.Contains(out, "signed checkpoint") {
		t.Fatalf("checkpoint: %s", out)
	}
	if out := must("", "audit", "verify", "--data-dir", dir); !strings.Contains(out, "matching 1 signed checkpoints") {
		t.Fatalf("verify with a checkpoint: %s", out)
	}

	// Hand edits, as with a SQL client: the newest entries deleted and the
	// head moved back, which the chain alone cannot tell.
	db, err := store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.TokenUser(context.Background(), db, jabarTok); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("an API token still works after garda user passwd: %v", err)
	}
	var last int64
	var hash string
	db.QueryRow(context.Background(), `SELECT seq FROM audit_head`).Scan(&last)
	db.QueryRow(context.Background(), `SELECT hash FROM audit_log WHERE seq = ?`, last-2).Scan(&hash)
	for _, q := range []string{`DELETE FROM audit_log WHERE seq > ?`, `UPDATE audit_head SET seq = ?, hash = '` + hash + `'`} {
		if _, err := db.Exec(context.Background(), q, last-2); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, errOut, code := garda(t, bin, "", "audit", "verify", "--data-dir", dir)
	if code != 2 || !strings.Contains(errOut, "were deleted") {
		t.Fatalf("verify after deleting the newest entries: exit %d, %q", code, errOut)
	}
	if _, errOut, code := garda(t, bin, "", "audit", "checkpoint", "--data-dir", dir); code != 2 || !strings.Contains(errOut, "not anchoring") {
		t.Fatalf("checkpoint of a rewritten chain: exit %d, %q", code, errOut)
	}
	// The checkpoint file removed too: the key says checkpoints were signed.
	if err := os.Remove(filepath.Join(dir, audit.CheckpointsFile)); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := garda(t, bin, "", "audit", "verify", "--data-dir", dir); code != 2 || !strings.Contains(errOut, "checkpoint file was removed") {
		t.Fatalf("verify after deleting the newest entries and the checkpoints: exit %d, %q", code, errOut)
	}

	// An edit in place.
	db, err = store.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(context.Background(), `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, errOut, code = garda(t, bin, "", "audit", "verify", "--data-dir", dir)
	if code != 2 || !strings.Contains(errOut, "entry 3") {
		t.Fatalf("verify after tampering: exit %d, %q", code, errOut)
	}
}

// TestCLIIncidents reports, lists and shows an incident from the terminal,
// as two users of different provinces.
func TestCLIIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	dir := t.TempDir()
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := garda(t, bin, stdin, args...)
		if code != 0 {
			t.Fatalf("garda %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	must("", "migrate", "--data-dir", dir)
	must("a long password 1\n", "user", "create", "--data-dir", dir, "--username", "op.bandung", "--org", "kpu-32.04", "--role", "operator", "--scope", "32.04", "--password-stdin")
	must("a long password 2\n", "user", "create", "--data-dir", dir, "--username", "op.jateng", "--org", "kpu-33", "--role", "operator", "--scope", "33", "--password-stdin")
	must("a long password 3\n", "user", "create", "--data-dir", dir, "--username", "coord.bandung", "--org", "kpu-32.04", "--role", "coordinator", "--scope", "32.04", "--password-stdin")
	out := must("", "incident", "create", "--data-dir", dir, "--as", "op.bandung", "--title", "Defacement situs KPU Bandung", "--severity", "high", "--category", "intrusions")
	if !strings.Contains(out, "INC-") {
		t.Fatalf("create: %s", out)
	}
	id := strings.Fields(out)[0]
	// Reported from the command line, told as from the web: the regency's
	// coordinator has it in the inbox, the other province does not.
	inbox := func(user string) int {
		t.Helper()
		db, err := store.Open(context.Background(), "", dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = ?`, user).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b := inbox("coord.bandung"), inbox("op.jateng"); a != 1 || b != 0 {
		t.Errorf("inbox after a command-line report: coordinator %d (want 1), other province %d (want 0)", a, b)
	}
	if out := must("", "incident", "list", "--data-dir", dir, "--as", "op.bandung"); !strings.Contains(out, id) {
		t.Errorf("the reporter's list lacks %s:\n%s", id, out)
	}
	if out := must("", "incident", "list", "--data-dir", dir, "--as", "op.jateng"); strings.Contains(out, id) {
		t.Errorf("another province lists %s", id)
	}
	if out := must("", "incident", "show", "--data-dir", dir, "--as", "op.bandung", id); !strings.Contains(out, "bssn_report") || !strings.Contains(out, "created") {
		t.Errorf("show: %s", out)
	}
	if _, errOut, code := garda(t, bin, "", "incident", "show", "--data-dir", dir, "--as", "op.jateng", id); code == 0 || !strings.Contains(errOut, "no incident") {
		t.Errorf("another province shows it: exit %d %s", code, errOut)
	}
	if _, _, code := garda(t, bin, "", "incident", "create", "--data-dir", dir, "--as", "op.bandung", "--title", "x", "--severity", "apocalyptic"); code == 0 {
		t.Error("a bad severity was accepted")
	}

	// show: an incident without a type says its category alone, and its
	// times in WIB as the pages do.
	show := must("", "incident", "show", "--data-dir", dir, "--as", "op.bandung", id)
	if strings.Contains(show, " / ,") || !strings.Contains(show, "  intrusions, severity high") {
		t.Errorf("show with no type:\n%s", show)
	}
	if !regexp.MustCompile(`due \d{4}-\d\d-\d\d \d\d:\d\d WIB`).MatchString(show) || strings.Contains(show, "Z  ") {
		t.Errorf("show's times are not in WIB:\n%s", show)
	}

	// list hides closed incidents, as the queue does, unless asked.
	closed := strings.Fields(must("", "incident", "create", "--data-dir", dir, "--as", "op.bandung", "--title", "Alarm palsu", "--severity", "low"))[0]
	func() {
		ctx := context.Background()
		db, err := store.Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		u, err := auth.UserByName(ctx, db, "coord.bandung")
		if err != nil {
			t.Fatal(err)
		}
		tree, _ := org.Load(ctx, db)
		p, _ := auth.PrincipalOf(u, tree)
		st, res := "closed", "false_positive"
		if _, err := incident.Edit(ctx, db, p, closed, incident.Update{Status: &st, Resolution: &res}); err != nil {
			t.Fatal(err)
		}
	}()
	for _, c := range []struct {
		args         []string
		closed, open bool
	}{{nil, false, true}, {[]string{"--all"}, true, true}, {[]string{"--status", "closed"}, true, false}, {[]string{"--status", "new"}, false, true}} {
		out := must("", append([]string{"incident", "list", "--data-dir", dir, "--as", "op.bandung"}, c.args...)...)
		if strings.Contains(out, closed) != c.closed || strings.Contains(out, id) != c.open {
			t.Errorf("incident list %v: closed %s shown want %v, open %s shown want %v:\n%s", c.args, closed, c.closed, id, c.open, out)
		}
	}
}

// TestCLIRefusesMissingDataDir: commands that work on an existing data dir
// refuse a missing one, by flag or by default, say so and make nothing;
// migrate makes one.
func TestCLIRefusesMissingDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	work := t.TempDir() // the working directory: where ./garda-data would be made
	missing := filepath.Join(t.TempDir(), "tiada")
	for _, args := range [][]string{
		{"incident", "list", "--as", "analis.kpu"},
		{"incident", "show", "--as", "analis.kpu", "INC-2026-0001"},
		{"incident", "create", "--as", "analis.kpu", "--title", "x"},
		{"user", "list"},
		{"user", "create", "--username", "budi", "--org", "kpu", "--role", "viewer", "--password-stdin"},
		{"user", "passwd", "--username", "budi", "--password-stdin"},
		{"user", "disable", "--username", "budi"},
		{"token", "create", "--username", "budi"},
		{"token", "revoke", "--id", "1"},
		{"audit", "verify"},
		{"bouncer", "list"},
		{"bouncer", "add", "edge-1"},
		{"bouncer", "delete", "edge-1"},
		{"decision", "list"},
		{"decision", "add", "--ip", "192.0.2.7", "--reason", "uji"},
		{"decision", "revoke", "1"},
		{"decision", "allow", "add", "--value", "192.0.2.8", "--reason", "uji"},
		{"decision", "allow", "list"},
		{"decision", "allow", "remove", "1"},
	} {
		for _, dirArgs := range [][]string{nil, {"--data-dir", missing}} {
			cmd := exec.Command(bin, append(slices.Clone(args), dirArgs...)...)
			cmd.Dir = work
			cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool {
				return strings.HasPrefix(e, "GARDA_DATA_DIR=") || strings.HasPrefix(e, "GARDA_DATABASE=")
			})
			cmd.Stdin = strings.NewReader("a long enough password\n")
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "no Garda database in data dir") {
				t.Errorf("garda %v %v: %v: %s", args, dirArgs, err, out)
			}
		}
	}
	if entries, _ := os.ReadDir(work); len(entries) > 0 {
		t.Errorf("the refused commands made %v in the working directory", entries)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused commands made %s: %v", missing, err)
	}
	if out, errOut, code := garda(t, bin, "", "migrate", "--data-dir", missing); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate on a new data dir: exit %d: %s", code, errOut)
	}
	if _, errOut, code := garda(t, bin, "", "user", "list", "--data-dir", missing); code != 0 {
		t.Errorf("user list after migrate: exit %d: %s", code, errOut)
	}
}

// TestCLIDecisionRules: a rules file given to serve is read before the
// platform opens; a malformed one stops it with the flag's name.
func TestCLIDecisionRules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGarda(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "rules.yaml")
	os.WriteFile(bad, []byte("scenarios:\n  http-sqli:\n    mode: sometimes\n"), 0o600)
	_, errOut, code := garda(t, bin, "", "serve", "--data-dir", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", "--decision-rules", bad)
	if code == 0 || !strings.Contains(errOut, "--decision-rules") || !strings.Contains(errOut, "sometimes") {
		t.Fatalf("serve with a malformed rules file: exit %d: %s", code, errOut)
	}
	_, errOut, code = garda(t, bin, "", "serve", "--data-dir", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", "--decision-rules", filepath.Join(dir, "missing.yaml"))
	if code == 0 || !strings.Contains(errOut, "--decision-rules") {
		t.Fatalf("serve with a missing rules file: exit %d: %s", code, errOut)
	}
}
