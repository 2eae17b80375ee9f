package bus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runSuite runs the behaviour every backend must have. open returns a fresh
// bus in its own namespace (own data dir, or own prefix on a shared server)
// and registers its own cleanup.
func runSuite(t *testing.T, open func(t *testing.T) *Bus) {
	t.Run("PublishThenConsume", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		subj := b.Subject(Alerts, "org1", "high")
		ack, err := b.Publish(ctx, subj, []byte("alert-1"), WithHeader("Garda-Org", "org1"))
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		if ack.Stream != b.StreamName(Alerts) || ack.Seq != 1 || ack.Duplicate {
			t.Fatalf("ack = %+v, want stream %s seq 1", ack, b.StreamName(Alerts))
		}
		got := make(chan Msg, 1)
		stop, err := b.Consume(ctx, Alerts, "notifier", "", func(_ context.Context, m Msg) error {
			got <- m
			return nil
		})
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		defer stop()
		m := recv(t, got)
		if m.Subject != subj || string(m.Data) != "alert-1" || m.Seq != 1 || m.Delivered != 1 || m.Time.IsZero() {
			t.Fatalf("got %+v", m)
		}
		if h := m.Header["Garda-Org"]; len(h) != 1 || h[0] != "org1" {
			t.Fatalf("header = %v", m.Header)
		}
		eventually(t, func() error {
			cs, err := b.ConsumerStats(ctx, Alerts, "notifier")
			if err != nil {
				return err
			}
			if cs.AckPending != 0 || cs.Pending != 0 || cs.AckFloor != 1 {
				return fmt.Errorf("consumer stats %+v", cs)
			}
			return nil
		})
	})

	t.Run("BatchDeliveredExactlyOnce", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		const n = 10000
		msgs := make([]Msg, n)
		for i := range msgs {
			msgs[i] = Msg{
				Subject: b.Subject(Events, "org"+strconv.Itoa(i%3), "syslog"),
				Data:    []byte(strconv.Itoa(i)),
			}
		}
		start := time.Now()
		stored, err := b.PublishBatch(ctx, msgs)
		if err != nil || stored != n {
			t.Fatalf("publish batch: stored %d, err %v", stored, err)
		}
		t.Logf("published %d messages in %s", n, time.Since(start))
		st, err := b.StreamStats(ctx, Events)
		if err != nil || st.Messages != n {
			t.Fatalf("stream stats %+v, err %v", st, err)
		}

		var mu sync.Mutex
		seen := make(map[int]int, n)
		var total atomic.Int64
		stop, err := b.Consume(ctx, Events, "normalizer", b.Subjects(Events), func(_ context.Context, m Msg) error {
			i, err := strconv.Atoi(string(m.Data))
			if err != nil {
				return Permanent(err)
			}
			mu.Lock()
			seen[i]++
			mu.Unlock()
			total.Add(1)
			return nil
		}, WithWorkers(4))
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		defer stop()
		eventually(t, func() error {
			if got := total.Load(); got < n {
				cs, err := b.ConsumerStats(ctx, Events, "normalizer")
				return fmt.Errorf("handled %d of %d (consumer %+v, %v)", got, n, cs, err)
			}
			return nil
		})
		eventually(t, func() error {
			cs, err := b.ConsumerStats(ctx, Events, "normalizer")
			if err != nil {
				return err
			}
			if cs.AckPending != 0 || cs.Pending != 0 || cs.AckFloor != n {
				return fmt.Errorf("consumer stats %+v", cs)
			}
			return nil
		})
		time.Sleep(100 * time.Millisecond) // room for a stray redelivery
		stop()
		if got := total.Load(); got != n {
			t.Fatalf("handled %d messages, want %d", got, n)
		}
		for i := range n {
			if seen[i] != 1 {
				t.Fatalf("message %d handled %d times", i, seen[i])
			}
		}
		t.Logf("published and consumed %d messages in %s", n, time.Since(start))
	})

	t.Run("SameDurableSharesWork", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		const n = 2000
		msgs := make([]Msg, n)
		for i := range msgs {
			msgs[i] = Msg{Subject: b.Subject(Decisions, "block"), Data: []byte(strconv.Itoa(i))}
		}
		if stored, err := b.PublishBatch(ctx, msgs); err != nil || stored != n {
			t.Fatalf("publish batch: stored %d, err %v", stored, err)
		}
		var mu sync.Mutex
		seen := make(map[string]int, n)
		var per [2]atomic.Int64
		for w := range 2 {
			stop, err := b.Consume(ctx, Decisions, "enforcer", "", func(_ context.Context, m Msg) error {
				mu.Lock()
				seen[string(m.Data)]++
				mu.Unlock()
				per[w].Add(1)
				time.Sleep(100 * time.Microsecond)
				return nil
			}, WithMaxAckPending(16), WithPrefetch(8))
			if err != nil {
				t.Fatalf("consume %d: %v", w, err)
			}
			defer stop()
		}
		eventually(t, func() error {
			if got := per[0].Load() + per[1].Load(); got < n {
				return fmt.Errorf("handled %d of %d", got, n)
			}
			return nil
		})
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != n {
			t.Fatalf("%d distinct messages handled, want %d", len(seen), n)
		}
		for d, c := range seen {
			if c != 1 {
				t.Fatalf("message %s handled %d times", d, c)
			}
		}
		a, c := per[0].Load(), per[1].Load()
		t.Logf("consumer 0 handled %d, consumer 1 handled %d", a, c)
		if a == 0 || c == 0 || a+c != n {
			t.Fatalf("work not shared: %d + %d", a, c)
		}
	})

	t.Run("HandlerErrorRedelivers", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		for i := range 3 {
			if _, err := b.Publish(ctx, b.Subject(Alerts, "x"), []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.Publish(ctx, b.Subject(Alerts, "poison"), []byte("bad")); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		deliveries := map[uint64][]uint64{} // seq -> delivery counts seen
		stop, err := b.Consume(ctx, Alerts, "flaky", "", func(_ context.Context, m Msg) error {
			mu.Lock()
			deliveries[m.Seq] = append(deliveries[m.Seq], m.Delivered)
			mu.Unlock()
			switch {
			case strings.HasSuffix(m.Subject, ".poison"):
				return Permanent(errors.New("cannot decode"))
			case m.Delivered == 1:
				return errors.New("transient failure")
			case m.Delivered == 2 && m.Seq == 2:
				panic("handler bug")
			}
			return nil
		}, WithRetryDelay(20*time.Millisecond, 50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		eventually(t, func() error {
			cs, err := b.ConsumerStats(ctx, Alerts, "flaky")
			if err != nil {
				return err
			}
			if cs.AckFloor != 4 || cs.AckPending != 0 {
				return fmt.Errorf("consumer stats %+v", cs)
			}
			return nil
		})
		stop()
		mu.Lock()
		defer mu.Unlock()
		want := map[uint64][]uint64{1: {1, 2}, 2: {1, 2, 3}, 3: {1, 2}, 4: {1}}
		if fmt.Sprint(deliveries) != fmt.Sprint(want) {
			t.Fatalf("deliveries %v, want %v", deliveries, want)
		}
	})

	t.Run("DeduplicatesByMsgID", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		subj := b.Subject(Events, "org1", "netflow")
		a1, err := b.Publish(ctx, subj, []byte("one"), WithMsgID("evt-1"))
		if err != nil {
			t.Fatal(err)
		}
		a2, err := b.Publish(ctx, subj, []byte("one again"), WithMsgID("evt-1"))
		if err != nil {
			t.Fatal(err)
		}
		if a1.Duplicate || !a2.Duplicate || a2.Seq != a1.Seq {
			t.Fatalf("acks %+v then %+v: want the second a duplicate of the first", a1, a2)
		}
		batch := []Msg{
			{Subject: subj, Data: []byte("two"), ID: "evt-2"},
			{Subject: subj, Data: []byte("two again"), ID: "evt-2"},
			{Subject: subj, Data: []byte("one yet again"), ID: "evt-1"},
			{Subject: subj, Data: []byte("three"), ID: "evt-3"},
		}
		stored, err := b.PublishBatch(ctx, batch)
		if err != nil || stored != len(batch) {
			t.Fatalf("publish batch: stored %d, err %v", stored, err)
		}
		st, err := b.StreamStats(ctx, Events)
		if err != nil {
			t.Fatal(err)
		}
		if st.Messages != 3 {
			t.Fatalf("stream holds %d messages, want 3", st.Messages)
		}
		got := make(chan Msg, 10)
		stop, err := b.Consume(ctx, Events, "dedup", "", func(_ context.Context, m Msg) error { got <- m; return nil })
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		for _, want := range []string{"evt-1/one", "evt-2/two", "evt-3/three"} {
			m := recv(t, got)
			if s := m.ID + "/" + string(m.Data); s != want {
				t.Fatalf("got %s, want %s", s, want)
			}
		}
	})

	t.Run("WatchSeesNewMessages", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		if _, err := b.Publish(ctx, b.Subject(Changes, "incident", "1"), []byte("old")); err != nil {
			t.Fatal(err)
		}
		ch, cancel, err := b.Watch(ctx, b.Subjects(Changes))
		if err != nil {
			t.Fatal(err)
		}
		other, cancelOther, err := b.Watch(ctx, b.Subject(Changes, "asset")+".*")
		if err != nil {
			t.Fatal(err)
		}
		defer cancelOther()
		if _, err := b.Publish(ctx, b.Subject(Changes, "incident", "1"), []byte("new"), WithMsgID("c-1")); err != nil {
			t.Fatal(err)
		}
		m := recv(t, ch)
		if string(m.Data) != "new" || m.Subject != b.Subject(Changes, "incident", "1") || m.ID != "c-1" {
			t.Fatalf("got %+v, want the new message only", m)
		}
		select {
		case m := <-other:
			t.Fatalf("watch on asset.* got %s", m.Subject)
		case <-time.After(50 * time.Millisecond):
		}
		cancel()
		cancel()
		if _, ok := <-ch; ok {
			t.Fatal("channel still open after cancel")
		}
		if _, _, err := b.Watch(ctx, "other.changes.>"); err == nil {
			t.Fatal("watch outside the namespace accepted")
		}
	})

	t.Run("SinceReplaysWhatAWatchMissed", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		if _, err := b.Publish(ctx, b.Subject(Changes, "incident", "1"), []byte("before")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		mark := time.Now()
		for i, s := range [][2]string{{"incident", "2"}, {"asset", "3"}, {"incident", "4"}} {
			if _, err := b.Publish(ctx, b.Subject(Changes, s[0], s[1]), []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		got, complete, err := b.Since(ctx, b.Subject(Changes, "incident")+".>", mark, 100)
		if err != nil || !complete || len(got) != 2 || string(got[0].Data) != "0" || string(got[1].Data) != "2" || got[0].Seq == 0 {
			t.Fatalf("since the mark: %+v complete=%v err=%v", got, complete, err)
		}
		if got, complete, err := b.Since(ctx, b.Subjects(Changes), mark, 2); err != nil || len(got) != 2 || complete {
			t.Fatalf("capped at 2: %d messages, complete=%v, %v", len(got), complete, err)
		}
		if got, complete, err := b.Since(ctx, b.Subjects(Changes), time.Now().Add(-48*time.Hour), 100); err != nil || complete || len(got) != 4 {
			t.Fatalf("a start beyond the retention: %d messages, complete=%v, %v", len(got), complete, err)
		}
		if got, _, err := b.Since(ctx, b.Subjects(Changes), time.Now().Add(time.Minute), 100); err != nil || len(got) != 0 {
			t.Fatalf("since the future: %d %v", len(got), err)
		}
	})

	t.Run("ReopenKeepsMessages", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		for i := range 5 {
			if _, err := b.Publish(ctx, b.Subject(Alerts, "p"), []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		// One message at a time, in order; the third keeps failing, so the
		// durable's state at close is "two acked, the third pending".
		opts := []ConsumeOption{WithPrefetch(1), WithMaxAckPending(1), WithAckWait(time.Second), WithRetryDelay(10*time.Millisecond, 10*time.Millisecond)}
		got := make(chan Msg, 5)
		stop, err := b.Consume(ctx, Alerts, "archiver", "", func(_ context.Context, m Msg) error {
			if m.Seq > 2 {
				return errors.New("not yet")
			}
			got <- m
			return nil
		}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		recv(t, got)
		recv(t, got)
		stop()
		cfg := b.cfg
		if err := b.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}

		b2, err := Open(ctx, cfg, testLogger(t))
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		t.Cleanup(func() { _ = b2.Close() })
		st, err := b2.StreamStats(ctx, Alerts)
		if err != nil || st.Messages != 5 || st.LastSeq != 5 {
			t.Fatalf("after reopen: stats %+v, err %v", st, err)
		}
		got2 := make(chan Msg, 5)
		stop2, err := b2.Consume(ctx, Alerts, "archiver", "", func(_ context.Context, m Msg) error { got2 <- m; return nil }, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer stop2()
		for want := 3; want <= 5; want++ {
			if m := recv(t, got2); m.Seq != uint64(want) {
				t.Fatalf("durable resumed at seq %d, want %d", m.Seq, want)
			}
		}
	})

	t.Run("ReadyAndClose", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		if err := b.Ready(ctx); err != nil {
			t.Fatalf("ready: %v", err)
		}
		stats, err := b.Stats(ctx)
		if err != nil || len(stats) != len(Kinds()) {
			t.Fatalf("stats %+v, err %v", stats, err)
		}
		for _, s := range stats {
			if s.Name != b.StreamName(s.Kind) {
				t.Fatalf("stream %+v", s)
			}
		}
		ch, _, err := b.Watch(ctx, b.Subjects(Changes))
		if err != nil {
			t.Fatal(err)
		}
		consumed := make(chan struct{})
		_, err = b.Consume(ctx, Changes, "closer", "", func(context.Context, Msg) error {
			close(consumed)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Publish(ctx, b.Subject(Changes, "x"), nil); err != nil {
			t.Fatal(err)
		}
		select {
		case <-consumed:
		case <-time.After(10 * time.Second):
			t.Fatal("not consumed")
		}
		if err := b.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		for range ch {
		}
		if err := b.Ready(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("ready after close = %v, want ErrClosed", err)
		}
		if _, err := b.Publish(ctx, b.Subject(Changes, "x"), nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("publish after close = %v", err)
		}
		if _, err := b.PublishBatch(ctx, []Msg{{Subject: b.Subject(Changes, "x")}}); !errors.Is(err, ErrClosed) {
			t.Fatalf("publish batch after close = %v", err)
		}
		if _, err := b.Consume(ctx, Changes, "late", "", func(context.Context, Msg) error { return nil }); !errors.Is(err, ErrClosed) {
			t.Fatalf("consume after close = %v", err)
		}
	})

	t.Run("ConcurrentStreamSetupAndValidation", func(t *testing.T) {
		t.Parallel()
		b := open(t)
		ctx := t.Context()
		// Several instances creating the same streams at once.
		cfg := b.cfg
		cfg.Prefix = cfg.Prefix + "X"
		views := make([]*Bus, 4)
		for i := range views {
			views[i] = &Bus{cfg: cfg, log: b.log, nc: b.nc, js: b.js, subj: strings.ToLower(cfg.Prefix)}
		}
		t.Cleanup(func() {
			for _, k := range Kinds() {
				_ = b.js.DeleteStream(context.Background(), views[0].StreamName(k))
			}
		})
		errs := make(chan error, len(views))
		for _, v := range views {
			go func() { errs <- v.ensureStreams(ctx) }()
		}
		for range views {
			if err := <-errs; err != nil {
				t.Fatalf("concurrent ensure streams: %v", err)
			}
		}
		// Existing streams with the same configuration are left alone; a
		// changed configuration is applied.
		var logged syncBuffer
		again := &Bus{cfg: b.cfg, log: slog.New(slog.NewTextHandler(&logged, nil)), nc: b.nc, js: b.js, subj: b.subj}
		if err := again.ensureStreams(ctx); err != nil {
			t.Fatalf("ensure streams again: %v", err)
		}
		if strings.Contains(logged.String(), "updated") {
			t.Fatalf("unchanged streams were updated: %s", logged.String())
		}
		again.cfg.ChangeRetention = 2 * time.Hour
		if err := again.ensureStreams(ctx); err != nil {
			t.Fatalf("ensure streams with a new retention: %v", err)
		}
		s, err := b.js.Stream(ctx, b.StreamName(Changes))
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CachedInfo().Config.MaxAge; got != 2*time.Hour {
			t.Fatalf("changes retention after update = %s, want 2h", got)
		}
		if n := strings.Count(logged.String(), "updated"); n != 1 {
			t.Fatalf("%d stream updates logged, want 1: %s", n, logged.String())
		}

		for _, bad := range []string{"other.alerts.x", b.subj + ".bogus.x", b.subj + ".alerts", b.subj + ".alerts.*", b.subj + ".alerts.a..b"} {
			if _, err := b.Publish(ctx, bad, nil); err == nil {
				t.Errorf("publish to %q accepted", bad)
			}
		}
		if _, err := b.Consume(ctx, Alerts, "x", b.Subjects(Events), func(context.Context, Msg) error { return nil }); err == nil {
			t.Error("filter subject of another stream accepted")
		}
		if _, err := b.Consume(ctx, Alerts, "a.b", "", func(context.Context, Msg) error { return nil }); err == nil {
			t.Error("durable name with a dot accepted")
		}
	})
}

func recv(t *testing.T, ch <-chan Msg) Msg {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a message")
	}
	return Msg{}
}

// eventually retries cond until it returns nil, failing after 20s.
func eventually(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
