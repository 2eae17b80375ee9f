package claim_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/auth"
	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/policy"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func principals(t *testing.T, db *store.DB) map[string]auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := org.EnsureStandard(ctx, db); err != nil {
		t.Fatal(err)
	}
	tree, err := org.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]auth.Principal{}
	for _, n := range []auth.NewUser{
		{Username: "kominfo.analyst", Org: "komdigi", Role: "analyst", Scope: ""},
		{Username: "kpu.viewer", Org: "kpu", Role: "viewer", Scope: ""},
		{Username: "jabar.analyst", Org: "kpu-32", Role: "analyst", Scope: "32"},
		{Username: "jateng.viewer", Org: "kpu-33", Role: "viewer", Scope: "33"},
	} {
		n.Password = "password-" + n.Username
		u, err := auth.CreateUser(ctx, db, audit.System, n)
		if err != nil {
			t.Fatal(err)
		}
		if out[n.Username], err = auth.PrincipalOf(u, tree); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestFactCheckStore(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := principals(t, db)
		svc := claim.NewService(db)
		an := who["kominfo.analyst"]

		// Written by an analyst: CLEAR and national unless told otherwise.
		f, err := svc.Create(ctx, an, claim.Input{Claim: "Gempa 9,8 magnitudo guncang Labuan Bajo 4 April 2024", Rating: "Salah", URL: "https://cek.example/gempa"})
		if err != nil {
			t.Fatal(err)
		}
		if f.TLP != policy.Clear || f.Region != "" || f.Rating != "salah" {
			t.Errorf("defaults: %+v", f)
		}
		// Bad input: a clear error, nothing stored.
		for _, in := range []claim.Input{{Claim: "", Rating: "hoaks"}, {Claim: "x", Rating: "mungkin"}, {Claim: "x", Rating: "hoaks", URL: "javascript:alert(1)"},
			{Claim: "x", Rating: "hoaks", TLP: "PINK"}, {Claim: "x", Rating: "hoaks", Region: "99"}, {Claim: "x", Rating: "hoaks", Date: "kemarin"}} {
			if _, err := svc.Create(ctx, an, in); !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: %v, want a validation error", in, err)
			}
		}
		if _, err := svc.Create(ctx, who["kpu.viewer"], claim.Input{Claim: "x", Rating: "hoaks"}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("viewer wrote a fact-check: %v", err)
		}

		// A province's AMBER review is not read in another province.
		amber, err := svc.Create(ctx, who["jabar.analyst"], claim.Input{Claim: "Surat suara tercoblos di Bandung", Rating: "hoaks", Region: "32", TLP: "AMBER"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Get(ctx, who["jateng.viewer"], amber.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("jateng read jabar's AMBER claim: %v", err)
		}
		if _, err := svc.Get(ctx, who["kominfo.analyst"], amber.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("komdigi read kpu-32's AMBER claim: %v", err)
		}
		if _, err := svc.Get(ctx, who["kpu.viewer"], f.ID); err != nil {
			t.Errorf("a CLEAR national claim: %v", err)
		}

		// Import ClaimReview, then again: the second time skips.
		ld := `[{"@type":"ClaimReview","url":"https://cek.example/a","claimReviewed":"Vaksin polio tidak berguna karena polio disebabkan racun","reviewRating":{"alternateName":"Hoaks"}},
			{"@type":"ClaimReview","url":"https://cek.example/b","claimReviewed":"Pertalite dihapus pemerintah mulai September","reviewRating":{"alternateName":"Misleading"}}]`
		rs, err := claim.ParseFile(strings.NewReader(ld))
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Import(ctx, an, rs, claim.Placement{})
		if err != nil || res.Created != 2 {
			t.Fatalf("import: %+v %v", res, err)
		}
		res, err = svc.Import(ctx, an, rs, claim.Placement{})
		if err != nil || res.Created != 0 || res.Skipped != 2 {
			t.Fatalf("re-import: %+v %v", res, err)
		}

		// The matcher sees what was written, under each reader's rules.
		found, err := svc.Search(ctx, who["kpu.viewer"], "BARU SAJA GEMPA MAGNITUDE 9,8 GUNCANG LABUAN BAJO", 3)
		if err != nil || len(found) == 0 || found[0].ID != f.ID {
			t.Fatalf("search: %+v %v", found, err)
		}
		if len(found[0].Why.Words) == 0 || !contains(found[0].Why.NumbersAgree, "n:9.8") {
			t.Errorf("explanation: %+v", found[0].Why)
		}
		for _, reader := range []string{"jateng.viewer", "kominfo.analyst", "jabar.analyst"} {
			ms, err := svc.Match(ctx, who[reader].Viewer, "surat suara sudah tercoblos di bandung", 5)
			if err != nil {
				t.Fatal(err)
			}
			sees := false
			for _, m := range ms {
				sees = sees || m.ClaimID == strconv.FormatInt(amber.ID, 10)
			}
			if sees != (reader == "jabar.analyst") {
				t.Errorf("%s sees the AMBER claim in matches: %v", reader, sees)
			}
		}

		// A large index is rebuilt in the background: the new claim is
		// matched once the rebuild is done, not before the write returns.
		svc.SyncRebuild = 0
		late, err := svc.Create(ctx, an, claim.Input{Claim: "Kotak suara dibakar massa di Sentani", Rating: "hoaks"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			found, err := svc.Search(ctx, who["kpu.viewer"], "massa bakar kotak suara di sentani", 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) == 1 && found[0].ID == late.ID {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the background rebuild never showed the new claim")
			}
			time.Sleep(20 * time.Millisecond)
		}

		// Lists: filters, cursor.
		list, err := svc.List(ctx, who["kpu.viewer"], claim.Filter{Limit: 2})
		if err != nil || len(list) != 3 {
			t.Fatalf("list: %d %v", len(list), err)
		}
		list, err = svc.List(ctx, who["kpu.viewer"], claim.Filter{Rating: "menyesatkan"})
		if err != nil || len(list) != 1 || !strings.Contains(list[0].Claim, "Pertalite") {
			t.Errorf("rating filter: %+v %v", list, err)
		}
		// Every write is in the audit chain.
		if n, err := audit.Verify(ctx, db); err != nil || n < 4 {
			t.Errorf("audit: %d %v", n, err)
		}
	})
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestMatchPublicAtDate: the store's fact-check dates reach the matcher, so
// that of two fact-checks of one claim the one published near the time an
// item was seen comes first; without a time the order is the words' (a tie
// goes to the first written).
func TestMatchPublicAtDate(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		who := principals(t, db)
		svc := claim.NewService(db)
		var ids []int64
		for _, date := range []string{"2023-08-01", "2024-08-10"} {
			f, err := svc.Create(ctx, who["kominfo.analyst"], claim.Input{Claim: "Pertalite dihapus pemerintah", Rating: "hoaks", Date: date})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, f.ID)
		}
		text := "pemerintah resmi hapus pertalite mulai bulan depan"
		first := func(seen time.Time) string {
			ms, err := svc.MatchPublicAt(ctx, text, seen, 2)
			if err != nil || len(ms) != 2 {
				t.Fatalf("match at %v: %+v %v", seen, ms, err)
			}
			return ms[0].ClaimID
		}
		if got := first(time.Time{}); got != strconv.FormatInt(ids[0], 10) {
			t.Errorf("no time: %s first, want %d", got, ids[0])
		}
		if got := first(time.Date(2024, 8, 12, 9, 0, 0, 0, time.UTC)); got != strconv.FormatInt(ids[1], 10) {
			t.Errorf("seen 2024-08-12: %s first, want %d (published 2024-08-10)", got, ids[1])
		}
	})
}
