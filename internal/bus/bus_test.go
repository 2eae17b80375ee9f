package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// testEventMaxBytes keeps the events stream's storage reservation small, so
// that many test streams fit on one server.
const testEventMaxBytes = 64 << 20

func TestEmbedded(t *testing.T) {
	runSuite(t, func(t *testing.T) *Bus {
		cfg := Config{DataDir: t.TempDir(), EventMaxBytes: testEventMaxBytes}
		b, err := Open(t.Context(), cfg, testLogger(t))
		if err != nil {
			t.Fatalf("open embedded bus: %v", err)
		}
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return b
	})
}

func TestExternal(t *testing.T) {
	url := os.Getenv("GARDA_TEST_NATS")
	if url == "" {
		t.Skip("GARDA_TEST_NATS not set: skipping external NATS suite")
	}
	runSuite(t, func(t *testing.T) *Bus {
		cfg := Config{URL: url, Prefix: uniquePrefix(t), EventMaxBytes: testEventMaxBytes}
		// Registered first, so it runs after Close: remove what the test made.
		t.Cleanup(func() { deleteStreams(t, url, cfg.Prefix) })
		b, err := Open(t.Context(), cfg, testLogger(t))
		if err != nil {
			t.Fatalf("open bus on %s: %v", url, err)
		}
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return b
	})
}

func TestExternalConcurrentOpen(t *testing.T) {
	url := os.Getenv("GARDA_TEST_NATS")
	if url == "" {
		t.Skip("GARDA_TEST_NATS not set: skipping external NATS suite")
	}
	prefix := uniquePrefix(t)
	t.Cleanup(func() { deleteStreams(t, url, prefix) })
	buses := make([]*Bus, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range buses {
		wg.Go(func() {
			buses[i], errs[i] = Open(t.Context(), Config{URL: url, Prefix: prefix, EventMaxBytes: testEventMaxBytes}, testLogger(t))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { _ = buses[i].Close() })
	}
	// Instances share a durable: every message handled once in total.
	const n = 300
	msgs := make([]Msg, n)
	for i := range msgs {
		msgs[i] = Msg{Subject: buses[0].Subject(Alerts, "a"), Data: []byte{byte(i), byte(i >> 8)}}
	}
	if stored, err := buses[0].PublishBatch(t.Context(), msgs); err != nil || stored != n {
		t.Fatalf("publish batch: %d, %v", stored, err)
	}
	var mu sync.Mutex
	seen := map[uint64]int{}
	stops := make([]func(), len(buses))
	for i, b := range buses {
		wg.Go(func() {
			stops[i], errs[i] = b.Consume(t.Context(), Alerts, "shared", "", func(_ context.Context, m Msg) error {
				mu.Lock()
				seen[m.Seq]++
				mu.Unlock()
				return nil
			}, WithMaxAckPending(8), WithPrefetch(4))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: consume: %v", i, err)
		}
		defer stops[i]()
	}
	eventually(t, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < n {
			return errors.New("not all handled yet")
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for seq, c := range seen {
		if c != 1 {
			t.Fatalf("seq %d handled %d times", seq, c)
		}
	}
}

func TestConfigAndSubjects(t *testing.T) {
	if _, err := (Config{}).withDefaults(); err == nil {
		t.Error("embedded config without data dir accepted")
	}
	for _, p := range []string{"1GARDA", "GA.RDA", "GA RDA", "GA>", strings.Repeat("A", 33)} {
		if _, err := (Config{DataDir: "x", Prefix: p}).withDefaults(); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
	cfg, err := Config{DataDir: "x", Prefix: "Test_1"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EventRetention != 72*time.Hour || cfg.EventMaxBytes != DefaultEventMaxBytes || cfg.Replicas != 1 {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	b := &Bus{cfg: cfg, subj: "test_1"}
	if got := b.StreamName(Events); got != "TEST_1_EVENTS" {
		t.Errorf("stream name %q", got)
	}
	if got := b.Subject(Events, "org.1", "sys log", "", "a*>"); got != "test_1.events.org_1.sys_log._.a__" {
		t.Errorf("subject %q", got)
	}
	sc := b.streamConfig(Changes)
	if sc.Subjects[0] != "test_1.changes.>" || sc.MaxAge != time.Hour || sc.Duplicates != 2*time.Minute {
		t.Errorf("changes stream config %+v", sc)
	}
	short := &Bus{cfg: Config{ChangeRetention: time.Minute, DuplicateWindow: 2 * time.Minute}}
	if d := short.streamConfig(Changes).Duplicates; d != time.Minute {
		t.Errorf("duplicate window %s not clamped to retention", d)
	}
	c := &consumer{o: consumeOpts{retryDelay: time.Second, maxRetryDelay: 5 * time.Second}}
	for delivered, want := range map[uint64]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 60: 5 * time.Second} {
		if got := c.retryDelay(delivered); got != want {
			t.Errorf("retry delay after %d deliveries = %s, want %s", delivered, got, want)
		}
	}
}

func uniquePrefix(t *testing.T) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "T" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// deleteStreams removes a test prefix's streams through its own connection,
// so that it works whatever state the test left its buses in.
func deleteStreams(t *testing.T, url, prefix string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Errorf("cleanup: connect: %v", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, p := range []string{prefix, prefix + "X"} {
		for _, k := range Kinds() {
			name := strings.ToUpper(p) + "_" + strings.ToUpper(string(k))
			if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Errorf("cleanup: delete stream %s: %v", name, err)
			}
		}
	}
}

// testLogger logs warnings and errors to the test output while the test
// runs, and nothing after it ended (late logs from background goroutines
// would otherwise fail the run).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{w: t.Output()}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	w    io.Writer
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	return w.w.Write(p)
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
