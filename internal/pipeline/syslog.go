package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/event"
	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
	"github.com/garda-id/garda/internal/ingest/sender"
	"github.com/garda-id/garda/internal/metrics"
	"github.com/garda-id/garda/internal/store"
)

// Syslog receives syslog messages and puts them into the pipeline as
// events of the asset whose hostnames include the sender's host name.
// Messages from hosts that are no asset are counted and dropped. The
// events' sender is the address the message came from (syslog:ADDR), so
// what they lead to names the machine that sent them, whatever host name
// they claim.
type Syslog struct {
	DB       *store.DB
	Bus      *bus.Bus
	Log      *slog.Logger
	Counters ingest.Counters
	Metrics  *metrics.Registry // optional: garda_syslog_unknown_host_total

	unknown     atomic.Int64 // messages from hosts that are no asset
	unknownSeen *metrics.Counter

	mu      sync.Mutex
	flushMu sync.Mutex // one flush at a time: a client's lines stay in order
	hosts   map[string]Source
	loaded  time.Time
	pend    map[pendKey][][]byte
	srcs    map[pendKey]Source
}

// pendKey is the queue of one asset's lines from one sending host.
type pendKey struct {
	asset int64
	from  netip.Addr
}

// Unknown counts the messages dropped because their host is no asset's.
func (s *Syslog) Unknown() int64 { return s.unknown.Load() }

// Serve listens on addr (UDP and TCP) until ctx ends.
func (s *Syslog) Serve(ctx context.Context, addr string) error {
	if s.Metrics != nil {
		s.unknownSeen = s.Metrics.Counter("garda_syslog_unknown_host_total", "Syslog messages dropped: their host is no asset's host name.")
	}
	f, _ := format.Lookup("auth")
	l, err := ingest.Listen(ctx, addr, ingest.ListenConfig{Parser: &ingest.Parser{Format: f, Counters: &s.Counters}, Logger: s.Log})
	if err != nil {
		return err
	}
	s.Log.Info("syslog listening", "tcp", l.TCPAddr(), "udp", l.UDPAddr())
	s.pend, s.srcs = map[pendKey][][]byte{}, map[pendKey]Source{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				// What was received is still stored, with a little time.
				fin, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				s.flush(fin)
				cancel()
				return
			case <-t.C:
				s.flush(ctx)
			}
		}
	}()
	err = l.Serve(ctx, func(ev *event.Event, from netip.Addr) error { return s.take(ctx, ev, from) })
	<-done
	return err
}

// take queues one parsed message, as an ECS JSON line, for its asset. It
// blocks (and so slows TCP senders) while too much is queued.
func (s *Syslog) take(ctx context.Context, ev *event.Event, from netip.Addr) error {
	src, ok := s.sourceOf(ctx, ev.Get(event.HostName))
	if !ok {
		// Counted, and said now and then: a sender nobody registered as an
		// asset is a set-up mistake someone should see.
		if n := s.unknown.Add(1); n == 1 || n%1000 == 0 {
			s.Log.WarnContext(ctx, "syslog from a host that is no asset's: dropped", "host", ev.Get(event.HostName), "dropped_so_far", n)
		}
		if s.unknownSeen != nil {
			s.unknownSeen.Inc()
		}
		return nil
	}
	fields := ev.Map()
	fields["@timestamp"] = ev.Time.UTC().Format(time.RFC3339Nano)
	line, err := json.Marshal(fields)
	if err != nil {
		return nil
	}
	k := pendKey{asset: src.AssetID, from: from}
	src.Sender = sender.Of(sender.KindSyslog, from.String()).String()
	s.mu.Lock()
	s.pend[k] = append(s.pend[k], line)
	s.srcs[k] = src
	full := len(s.pend[k]) >= ingestBatch
	s.mu.Unlock()
	if full {
		s.flush(ctx)
	}
	return nil
}

const ingestBatch = 2048

// flush stores what is queued, retrying while the bus cannot: meanwhile
// take blocks, and TCP senders are slowed instead of their lines lost.
func (s *Syslog) flush(ctx context.Context) {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	pend, srcs := s.pend, s.srcs
	s.pend, s.srcs = map[pendKey][][]byte{}, map[pendKey]Source{}
	s.mu.Unlock()
	for k, lines := range pend {
		id := k.asset
		src := srcs[k]
		src.Batch = sender.NewBatchID()
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
			_, err := Publish(ctx, s.Bus, src, Lines(lines), "", nil)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				s.Log.Error("syslog events lost at shutdown", "asset", id, "lines", len(lines), "err", err)
				break
			}
			s.Log.Warn("syslog events not stored yet; retrying", "asset", id, "lines", len(lines), "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}
}

// sourceOf finds the asset of a host name, from a map of every asset's
// host names reloaded each minute.
func (s *Syslog) sourceOf(ctx context.Context, host string) (Source, bool) {
	host = strings.ToLower(host)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hosts == nil || time.Since(s.loaded) > time.Minute {
		hosts, err := assetHosts(ctx, s.DB)
		if err != nil {
			s.Log.Warn("syslog: load asset host names; keeping the last ones", "err", err)
		} else {
			s.hosts = hosts
		}
		s.loaded = time.Now() // on an error too: not a query per message

	}
	src, ok := s.hosts[host]
	if !ok {
		if i := strings.IndexByte(host, '.'); i > 0 {
			src, ok = s.hosts[host[:i]]
		}
	}
	return src, ok
}

func assetHosts(ctx context.Context, db *store.DB) (map[string]Source, error) {
	rows, err := db.Query(ctx, `SELECT id, region, hostnames FROM assets`)
	if err != nil {
		return nil, fmt.Errorf("asset host names: %w", err)
	}
	defer rows.Close()
	f, _ := format.Lookup("json")
	out := map[string]Source{}
	for rows.Next() {
		var id int64
		var region, hosts string
		if err := rows.Scan(&id, &region, &hosts); err != nil {
			return nil, err
		}
		var list []string
		json.Unmarshal([]byte(hosts), &list)
		for _, h := range list {
			src := Source{AssetID: id, Region: region, Format: f}
			out[h] = src
			if i := strings.IndexByte(h, '.'); i > 0 {
				if _, taken := out[h[:i]]; !taken {
					out[h[:i]] = src // a short host name, as syslog often sends
				}
			}
		}
	}
	return out, rows.Err()
}
