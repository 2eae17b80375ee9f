package org_test

import (
	"context"
	"github.com/garda-id/garda/internal/problem"
	"slices"
	"testing"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/store/storetest"
)

func TestStandardTree(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, err := org.EnsureStandard(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if want := 8 + 38*2 + 514; n != want {
			t.Fatalf("created %d organisations, want %d", n, want)
		}
		if again, err := org.EnsureStandard(ctx, db); err != nil || again != 0 {
			t.Fatalf("second run created %d, %v", again, err)
		}
		tree, err := org.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"kpu", "kpu-32", "kpu-32.04", "bssn", "komdigi", "polri", "bin", "brin", "bawaslu", "kemendagri", "diskominfo-32"} {
			if _, ok := tree.BySlug(slug); !ok {
				t.Errorf("missing %s", slug)
			}
		}
		kpu, _ := tree.BySlug("kpu")
		jabar, _ := tree.BySlug("kpu-32")
		bandung, _ := tree.BySlug("kpu-32.04")
		bssn, _ := tree.BySlug("bssn")
		if bandung.Parent != "kpu-32" || jabar.Parent != "kpu" || bandung.Region != "32.04" {
			t.Fatalf("tree wrong: %+v %+v", bandung, jabar)
		}
		if l := tree.Lineage(kpu.ID); len(l) != 1+38+514 || !slices.Contains(l, bandung.ID) {
			t.Fatalf("KPU RI lineage has %d orgs", len(l))
		}
		if l := tree.Lineage(jabar.ID); len(l) != 1+27 || slices.Contains(l, kpu.ID) {
			t.Fatalf("KPU Jawa Barat lineage has %d orgs", len(l))
		}
		if l := tree.Lineage(bssn.ID); len(l) != 1 {
			t.Fatalf("BSSN lineage %v", l)
		}
		if a := tree.Ancestors(bandung.ID); len(a) != 2 || a[0].Slug != "kpu-32" || a[1].Slug != "kpu" {
			t.Fatalf("ancestors %v", a)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	storetest.Backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := org.EnsureStandard(ctx, db); err != nil {
			t.Fatal(err)
		}
		bad := []org.New{
			{Slug: "X!", Name: "x"},
			{Slug: "csirt-jabar", Name: ""},
			{Slug: "csirt-jabar", Name: "CSIRT", Region: "99"},
			{Slug: "csirt-jabar", Name: "CSIRT", Parent: "nope"},
			{Slug: "csirt-jabar", Name: "CSIRT", Parent: "kpu-32", Region: "31"},
			{Slug: "bssn", Name: "again"},
			{Slug: "csirt-jabar", Name: "CSIRT", Kind: "gang"},
		}
		for _, n := range bad {
			_, err := org.Create(ctx, db, audit.System, "", n)
			if !problem.Is(err, problem.Invalid) {
				t.Errorf("%+v: got %v, want a validation error", n, err)
			}
		}
		o, err := org.Create(ctx, db, audit.System, "", org.New{Slug: "csirt-jabar", Name: "CSIRT Jabar", Kind: "agency", Parent: "diskominfo-32", Region: "32"})
		if err != nil || o.ID == 0 || o.Parent != "diskominfo-32" {
			t.Fatalf("create: %+v %v", o, err)
		}
	})
}
