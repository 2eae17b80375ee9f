package bus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
)

// TestFullEventsStreamRefuses: with detection stopped, the events stream
// fills to its cap and then refuses new events (ErrStreamFull) without
// discarding one it acknowledged; one lagging consumer holds the purge
// back, and once every consumer has acknowledged, the purge makes room and
// publishing resumes. It runs on the embedded server, and on
// GARDA_TEST_NATS's too when set.
func TestFullEventsStreamRefuses(t *testing.T) {
	const cap = 256 << 10
	t.Run("embedded", func(t *testing.T) {
		testFullEvents(t, Config{DataDir: t.TempDir(), EventMaxBytes: cap})
	})
	t.Run("external", func(t *testing.T) {
		url := os.Getenv("GARDA_TEST_NATS")
		if url == "" {
			t.Skip("GARDA_TEST_NATS not set: skipping the external server")
		}
		cfg := Config{URL: url, Prefix: uniquePrefix(t), EventMaxBytes: cap}
		t.Cleanup(func() { deleteStreams(t, url, cfg.Prefix) })
		testFullEvents(t, cfg)
	})
}

func testFullEvents(t *testing.T, cfg Config) {
	ctx := t.Context()
	b, err := Open(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer b.Close()
	// Three partitions' consumers, held (detection stopped): p0 and p1
	// until gate closes, p2 (a lagging partition) until late closes.
	gate, late := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	handled := map[string]int{}
	for _, p := range []string{"p0", "p1", "p2"} {
		g := gate
		if p == "p2" {
			g = late
		}
		stop, err := b.Consume(ctx, Events, "detect-"+p, b.Subject(Events, p)+".>", func(ctx context.Context, m Msg) error {
			select {
			case <-g:
			case <-ctx.Done():
				return ctx.Err()
			}
			mu.Lock()
			handled[string(m.Data[:8])]++
			mu.Unlock()
			return nil
		}, WithWorkers(1), WithMaxAckPending(64))
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
	}
	body := func(n int) []byte { return append([]byte(fmt.Sprintf("%08d", n)), bytes.Repeat([]byte("x"), 4<<10)...) }
	// Fill: one message in eight goes to p2.
	acked := map[string]bool{}
	var full error
	n := 0
	for ; n < 1000; n++ {
		part := []string{"p0", "p1", "p0", "p1", "p0", "p1", "p0", "p2"}[n%8]
		_, err := b.Publish(ctx, b.Subject(Events, part, "a1"), body(n))
		if err != nil {
			full = err
			break
		}
		acked[fmt.Sprintf("%08d", n)] = true
	}
	if !errors.Is(full, ErrStreamFull) {
		t.Fatalf("publishing %d events of 4 KiB into a 256 KiB stream: err %v, want ErrStreamFull", n, full)
	}
	st, err := b.StreamStats(ctx, Events)
	if err != nil {
		t.Fatal(err)
	}
	if st.FirstSeq != 1 || st.Messages != uint64(len(acked)) {
		t.Fatalf("full stream holds seq %d.. (%d messages), want every one of the %d acknowledged from seq 1", st.FirstSeq, st.Messages, len(acked))
	}
	// Nothing is acknowledged by a consumer yet: no room is made, and a
	// batch is refused as well.
	if freed, err := b.ReclaimEvents(ctx); err != nil || freed != 0 {
		t.Fatalf("reclaim with nothing consumed: freed %d, %v", freed, err)
	}
	if _, err := b.PublishBatch(ctx, []Msg{{Subject: b.Subject(Events, "p0", "a1"), Data: body(9999)}}); !errors.Is(err, ErrStreamFull) {
		t.Fatalf("batch into a full stream: %v, want ErrStreamFull", err)
	}
	// Detection resumes on p0 and p1: their events are handled, but p2's
	// floor holds the purge back.
	close(gate)
	caughtUp := func(want int, parts ...string) {
		t.Helper()
		eventually(t, func() error {
			mu.Lock()
			defer mu.Unlock()
			if len(handled) != want {
				return fmt.Errorf("%d of %d events handled", len(handled), want)
			}
			for _, p := range parts {
				cs, err := b.ConsumerStats(ctx, Events, "detect-"+p)
				if err != nil {
					return err
				}
				if cs.AckPending != 0 || cs.Pending != 0 {
					return fmt.Errorf("%s: %+v", p, cs)
				}
			}
			return nil
		})
	}
	want := 0
	for id := range acked {
		if n, _ := strconv.Atoi(id); n%8 != 7 {
			want++
		}
	}
	caughtUp(want, "p0", "p1")
	if freed, err := b.ReclaimEvents(ctx); err != nil || freed != 0 {
		t.Fatalf("reclaim with p2 not consumed: freed %d, %v", freed, err)
	}
	close(late)
	caughtUp(len(acked), "p0", "p1", "p2")
	detected := len(handled)
	for id, n := range handled {
		if !acked[id] || n != 1 {
			t.Errorf("handled %s %d times (acknowledged: %v)", id, n, acked[id])
		}
	}
	freed, err := b.ReclaimEvents(ctx)
	if err != nil || freed == 0 {
		t.Fatalf("reclaim after detection caught up: freed %d, %v", freed, err)
	}
	st, err = b.StreamStats(ctx, Events)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 0 {
		t.Fatalf("after the purge the stream holds %d messages, want none", st.Messages)
	}
	if _, err := b.Publish(ctx, b.Subject(Events, "p0", "a1"), body(10000)); err != nil {
		t.Fatalf("publish after room was made: %v", err)
	}
	t.Logf("acknowledged=%d detected=%d lost=0 refused=2 freed_bytes=%d", len(acked), detected, freed)
}
