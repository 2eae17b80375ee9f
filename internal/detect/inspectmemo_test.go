package detect

import (
	"bytes"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/simulate"
)

// TestInspectMemoAgrees inspects the simulator's log (attacks of every
// class among the demo sites' traffic) with and without the memo, every
// line twice: a remembered finding is the one the checks make.
func TestInspectMemoAgrees(t *testing.T) {
	eng, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := simulate.New(simulate.Options{Sites: simulate.DefaultSites(), Seed: 3, Lines: 20000,
		Start: time.Date(2024, 2, 14, 0, 0, 0, 0, time.UTC), Span: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if _, err := sim.WriteLog(&log); err != nil {
		t.Fatal(err)
	}
	memo, plain := eng.NewInspector(), eng.NewInspector()
	if memo.memo == nil {
		t.Fatal("no memo for the built-in rules")
	}
	plain.memo = nil
	var ev event.Event
	var got, want Finding
	hits, n := 0, 0
	for _, line := range bytes.Split(bytes.TrimSpace(log.Bytes()), []byte("\n")) {
		if (format.Nginx{}).Parse(line, &ev) != nil {
			continue
		}
		plain.Inspect(&ev, &want)
		for range 2 {
			if _, ok := memo.memo.lookup(&ev); ok {
				hits++
			}
			memo.Inspect(&ev, &got)
			n++
			if !sameFinding(&got, &want) {
				t.Fatalf("%s:\nmemo  %+v\nplain %+v", line, got, want)
			}
		}
	}
	if hits < n/2 {
		t.Fatalf("%d of %d inspections remembered; every line was inspected twice", hits, n)
	}
}

func sameFinding(a, b *Finding) bool {
	norm := func(f *Finding) Finding {
		c := *f
		for _, s := range []any{&c.CRSRules, &c.Payload, &c.Sigma, &c.SigmaUnconfirmed, &c.Hits} {
			v := reflect.ValueOf(s).Elem()
			if v.Len() == 0 {
				v.SetZero()
			}
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// TestInspectMemoKeysOnSigmaFields: rules that read the client address
// turn the memo off, and a memo's key holds every field Sigma reads.
func TestInspectMemoKeysOnSigmaFields(t *testing.T) {
	if newInspectMemo([]event.Field{event.URLOriginal, event.SourceIP}) != nil {
		t.Fatal("a memo keyed without the client address for rules that read it")
	}
	m := newInspectMemo([]event.Field{event.Message, event.StatusCode})
	for _, f := range []event.Field{event.Message, event.StatusCode, event.URLOriginal, event.UserAgent, event.Referrer} {
		if !slices.Contains(m.fields, f) {
			t.Fatalf("key lacks %s", f.ECS())
		}
	}
}
