package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
)

// TestTakedownRequestCmds drives the request sub-commands as scripts do:
// file, approve (refused for the author), send, answer as the platform's
// liaison; another platform's liaison is told "not found".
func TestTakedownRequestCmds(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := takedown.SeedPlatforms(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, n := range []auth.NewUser{
		{Username: "patroli", Org: "komdigi", Role: "analyst"},
		{Username: "koord", Org: "komdigi", Role: "coordinator"},
		{Username: "liaison.fb", Org: "platform-meta-facebook", Role: "liaison"},
		{Username: "liaison.tt", Org: "platform-tiktok", Role: "liaison"},
	} {
		n.Password = "pw-" + n.Username + "-long-enough"
		if _, err := auth.CreateUser(ctx, db, audit.System, n); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	t.Setenv("GARDA_SMTP_ADDR", "") // letters are recorded as sent, not mailed
	td := func(args ...string) (string, error) {
		root := &cobra.Command{Use: "takedown", SilenceUsage: true, SilenceErrors: true}
		root.AddCommand(takedownRequestCmds()...)
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append(args, "--data-dir", dir))
		err := root.ExecuteContext(ctx)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := td(args...)
		if err != nil {
			t.Fatalf("takedown %v: %v", args, err)
		}
		return out
	}
	if out := must("platforms"); !strings.Contains(out, "meta-facebook") || !strings.Contains(out, "facebook.com") {
		t.Fatalf("platforms:\n%s", out)
	}
	if _, err := td("create", "--as", "patroli", "--url", "https://hoaks.example.org/x", "--category", "hoaks", "--basis", "uu_ite_28_3", "--summary", "s"); err == nil ||
		!strings.Contains(err.Error(), "no platform") {
		t.Fatalf("a URL of no known platform: %v", err)
	}
	out := must("create", "--as", "patroli", "--url", "https://www.facebook.com/x/posts/1", "--url", "https://www.facebook.com/x/posts/1#c",
		"--category", "hoaks", "--basis", "uu_ite_28_3", "--urgency", "urgent", "--summary", "Hoaks jadwal")
	id := strings.Fields(out)[0]
	if strings.Count(out, "[") != 1 {
		t.Fatalf("duplicates not merged:\n%s", out)
	}
	if _, err := td("approve", "--as", "patroli", id); err == nil {
		t.Fatal("the author approved")
	}
	must("approve", "--as", "koord", id)
	must("send", "--as", "patroli", "--channel", "email", id)
	if _, err := td("show", "--as", "liaison.tt", id); err == nil || !strings.Contains(err.Error(), "no takedown request") {
		t.Fatalf("another platform reads: %v", err)
	}
	out = must("answer", "--as", "liaison.fb", "--url", "https://www.facebook.com/x/posts/1", "--outcome", "removed", id)
	if !strings.Contains(out, "closed") || !strings.Contains(out, "removed") {
		t.Fatalf("answer:\n%s", out)
	}
	if out := must("list", "--as", "liaison.fb"); !strings.Contains(out, "meta-facebook") {
		t.Fatalf("liaison's list:\n%s", out)
	}
	// The letter: printed for the platform it went to, never for another;
	// written as PDF.
	if out := must("letter", "--as", "liaison.fb", id); !strings.Contains(out, "Kepada Yth.\nFacebook") || !strings.Contains(out, "https://www.facebook.com/x/posts/1") {
		t.Fatalf("letter:\n%s", out)
	}
	if _, err := td("letter", "--as", "liaison.tt", id); err == nil {
		t.Fatal("another platform read the letter")
	}
	pdf := filepath.Join(t.TempDir(), "surat.pdf")
	must("letter", "--as", "patroli", "--pdf", pdf, id)
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-1.4")) {
		t.Fatalf("PDF: %v", err)
	}
	if _, err := td("letter", "--as", "patroli", "--kind", "teguran_1", id); err == nil {
		t.Fatal("a warning never issued was printed")
	}
	// A check is the issuing organisation's: the platform is refused
	// before anything is fetched.
	if _, err := td("check", "--as", "liaison.fb", id); err == nil || !strings.Contains(err.Error(), "check") {
		t.Fatalf("the platform checked: %v", err)
	}
}

// TestTakedownRequestPrologue: every command on one request shares one
// prologue (tdRequestCmd): --as, exactly one ID, the same refusal of an
// id that is not one.
func TestTakedownRequestPrologue(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Username: "koord", Org: "komdigi", Role: "coordinator", Password: "pw-koord-long-enough"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, c := range takedownRequestCmds() {
		name := c.Name()
		if name == "platforms" || name == "list" || name == "create" {
			continue
		}
		if c.Flags().Lookup("as") == nil || c.Flags().Lookup("data-dir") == nil {
			t.Errorf("%s: no --as or --data-dir", name)
		}
		if err := c.Args(c, nil); err == nil {
			t.Errorf("%s takes no ID", name)
		}
		root := &cobra.Command{Use: "takedown", SilenceUsage: true, SilenceErrors: true}
		root.AddCommand(c)
		root.SetOut(new(bytes.Buffer))
		root.SetErr(new(bytes.Buffer))
		root.SetArgs([]string{name, "--as", "koord", "--data-dir", dir, "x1"})
		if err := root.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), `no takedown request "x1"`) {
			t.Errorf("%s x1: %v", name, err)
		}
	}
}
