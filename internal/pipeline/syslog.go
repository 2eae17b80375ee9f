package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
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
// events of the asset whose host names include the address the message
// came from: an IP address an asset lists, or one its host names resolve
// to (in DNS, when the asset list is loaded, each minute). The host name a
// message claims is anyone's to write, so it only chooses between assets
// that share the sending address. Messages from other addresses are
// counted and dropped. The events' sender is that address (syslog:ADDR),
// and every flush is written to the audit chain as an ingest batch.
type Syslog struct {
	DB       *store.DB
	Bus      *bus.Bus
	Log      *slog.Logger
	Counters ingest.Counters
	Metrics  *metrics.Registry // optional: garda_syslog_unknown_host_total
	// Resolve finds the addresses of a host name; nil is the system's DNS.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	unknown     atomic.Int64 // messages from addresses that are no asset's
	unknownSeen *metrics.Counter

	mu      sync.Mutex
	flushMu sync.Mutex // one flush at a time: a client's lines stay in order
	senders map[netip.Addr][]assetHost
	loaded  time.Time
	loading bool
	pend    map[pendKey][][]byte
	srcs    map[pendKey]Source
}

// assetHost is an asset that an address may send for, with the host names
// the asset lists.
type assetHost struct {
	src   Source
	hosts []string
}

// pendKey is the queue of one asset's lines from one sending host.
type pendKey struct {
	asset int64
	from  netip.Addr
}

// Unknown counts the messages dropped because their sending address is no
// asset's.
func (s *Syslog) Unknown() int64 { return s.unknown.Load() }

// Serve listens on addr (UDP and TCP) until ctx ends.
func (s *Syslog) Serve(ctx context.Context, addr string) error {
	if s.Metrics != nil {
		s.unknownSeen = s.Metrics.Counter("garda_syslog_unknown_host_total", "Syslog messages dropped: their sending address is no asset's.")
	}
	s.refresh(ctx) // before the first message: none is dropped for want of the list
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
	from = from.Unmap()
	src, ok := s.sourceOf(ctx, from, ev.Get(event.HostName))
	if !ok {
		// Counted, and said now and then: a sender nobody registered as an
		// asset's is a set-up mistake, or someone else's lines.
		if n := s.unknown.Add(1); n == 1 || n%1000 == 0 {
			s.Log.WarnContext(ctx, "syslog from an address that is no asset's: dropped", "from", from, "host", ev.Get(event.HostName), "dropped_so_far", n)
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
			res, err := Publish(ctx, s.Bus, src, Lines(lines), "", nil)
			if err == nil {
				from := k.from.String()
				b := sender.Batch{ID: src.Batch, AssetID: id, Lines: len(lines), Accepted: res.Accepted, Rejected: res.Rejected, From: from}
				if err := sender.Record(ctx, s.DB, sender.Of(sender.KindSyslog, from), b); err != nil {
					s.Log.Error("syslog batch stored but not audited", "asset", id, "from", from, "batch", src.Batch, "err", err)
				}
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

// sourceOf finds the asset an address sends for, from a map of every
// asset's addresses reloaded each minute. An address several assets list
// (one machine, several sites) sends for the one whose host names include
// the host name the message claims (the earliest such asset, should two
// list one name from before names were unique), and for none if none does.
func (s *Syslog) sourceOf(ctx context.Context, from netip.Addr, host string) (Source, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.loaded) > time.Minute && !s.loading {
		// Reloaded aside (resolving takes time); meanwhile the last list holds.
		s.loading = true
		go s.refresh(context.WithoutCancel(ctx))
	}
	candidates := s.senders[from]
	if len(candidates) == 1 {
		return candidates[0].src, true
	}
	short, _, _ := strings.Cut(host, ".")
	for _, c := range candidates {
		for _, h := range c.hosts {
			if h == host || (host == short && strings.HasPrefix(h, short+".")) {
				return c.src, true
			}
		}
	}
	return Source{}, false
}

// refresh reloads the map of senders; on an error it keeps the last one.
func (s *Syslog) refresh(ctx context.Context) {
	senders, err := s.assetSenders(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.Log.Warn("syslog: load asset addresses; keeping the last ones", "err", err)
	} else {
		s.senders = senders
	}
	s.loaded, s.loading = time.Now(), false // on an error too: not a query per message
}

// assetSenders maps each address an asset lists, or one of its host names
// resolves to, to the assets it may send for.
func (s *Syslog) assetSenders(ctx context.Context) (map[netip.Addr][]assetHost, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, region, hostnames FROM assets ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("asset host names: %w", err)
	}
	f, _ := format.Lookup("json")
	var assets []assetHost
	for rows.Next() {
		var id int64
		var region, hosts string
		if err := rows.Scan(&id, &region, &hosts); err != nil {
			rows.Close()
			return nil, err
		}
		a := assetHost{src: Source{AssetID: id, Region: region, Format: f}}
		if err := json.Unmarshal([]byte(hosts), &a.hosts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("asset %d host names: %w", id, err)
		}
		assets = append(assets, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	resolve := s.Resolve
	if resolve == nil {
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	out := map[netip.Addr][]assetHost{}
	for _, a := range assets {
		seen := map[netip.Addr]bool{}
		for _, h := range a.hosts {
			addrs, err := addressesOf(ctx, resolve, h)
			if err != nil {
				// One name that does not resolve stops no other asset.
				s.Log.Warn("syslog: host name of an asset does not resolve; its syslog is dropped", "asset", a.src.AssetID, "host", h, "err", err)
			}
			for _, ip := range addrs {
				if ip = ip.Unmap(); !seen[ip] {
					seen[ip] = true
					out[ip] = append(out[ip], a)
				}
			}
		}
	}
	return out, nil
}

// addressesOf is an IP address itself, or what a host name resolves to.
func addressesOf(ctx context.Context, resolve func(context.Context, string) ([]netip.Addr, error), host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return resolve(ctx, host)
}
