package rpz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/garda-id/garda/internal/store"
)

// Server answers zone transfers (AXFR, IXFR from the journal) signed with
// a registered resolver's TSIG key, answers SOA queries (the serial is no
// secret; resolvers poll it), and sends NOTIFY to the registered resolvers
// when the serial moves, whichever instance or command moved it.
type Server struct {
	DB     *store.DB
	Timers Timers
	Log    *slog.Logger
	// Poll is how often the serial is checked for NOTIFY (default 1 s).
	Poll time.Duration

	mu      sync.Mutex
	servers []*dns.Server
	cache   *zoneCache
}

// tsigKeys verifies and signs with the registered resolvers' secrets,
// read from the database, so a resolver added by the command works at
// once and a revoked one stops.
type tsigKeys struct{ db *store.DB }

func (k tsigKeys) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	if dns.CanonicalName(t.Algorithm) != dns.HmacSHA256 {
		return nil, dns.ErrKeyAlg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	secret, ok, err := tsigSecretOf(ctx, k.db, t.Hdr.Name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, dns.ErrSecret
	}
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, raw)
	m.Write(msg)
	return m.Sum(nil), nil
}

func (k tsigKeys) Verify(msg []byte, t *dns.TSIG) error {
	want, err := k.Generate(msg, t)
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(t.MAC)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, got) {
		return dns.ErrSig
	}
	return nil
}

// ListenAndServe answers on addr over TCP (transfers) and UDP (SOA
// queries), and sends NOTIFY, until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("rpz listen %s: %w", addr, err)
	}
	udp, err := net.ListenPacket("udp", tcp.Addr().String())
	if err != nil {
		tcp.Close()
		return fmt.Errorf("rpz listen %s/udp: %w", addr, err)
	}
	return s.Serve(ctx, tcp, udp)
}

// Serve is ListenAndServe on sockets the caller opened.
func (s *Server) Serve(ctx context.Context, tcp net.Listener, udp net.PacketConn) error {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	s.cache = &zoneCache{timers: s.Timers}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) { s.answer(ctx, w, r) })
	keys := tsigKeys{db: s.DB}
	ts := &dns.Server{Listener: tcp, Handler: h, TsigProvider: keys}
	us := &dns.Server{PacketConn: udp, Handler: h, TsigProvider: keys}
	s.mu.Lock()
	s.servers = []*dns.Server{ts, us}
	s.mu.Unlock()
	errs := make(chan error, 2)
	go func() { errs <- ts.ActivateAndServe() }()
	go func() { errs <- us.ActivateAndServe() }()
	go s.notifyLoop(ctx)
	select {
	case <-ctx.Done():
		ts.Shutdown()
		us.Shutdown()
		return nil
	case err := <-errs:
		ts.Shutdown()
		us.Shutdown()
		return err
	}
}

func (s *Server) answer(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	signed := r.IsTsig() != nil && w.TsigStatus() == nil
	reply := func(rcode int) {
		m.Rcode = rcode
		if signed {
			t := r.IsTsig()
			m.SetTsig(t.Hdr.Name, t.Algorithm, t.Fudge, time.Now().Unix())
		}
		w.WriteMsg(m)
	}
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 {
		reply(dns.RcodeNotImplemented)
		return
	}
	q := r.Question[0]
	if !strings.EqualFold(q.Name, fqOrigin) {
		reply(dns.RcodeRefused) // not authoritative for anything else
		return
	}
	m.Authoritative = true
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	switch q.Qtype {
	case dns.TypeSOA:
		serial, err := Serial(ctx, s.DB)
		if err != nil {
			s.Log.Error("rpz: serial", "err", err)
			reply(dns.RcodeServerFailure)
			return
		}
		m.Answer = []dns.RR{s.Timers.SOA(serial)}
		reply(dns.RcodeSuccess)
	case dns.TypeNS:
		m.Answer = []dns.RR{s.Timers.ns()}
		reply(dns.RcodeSuccess)
	case dns.TypeAXFR, dns.TypeIXFR:
		if !signed {
			// Transfers are for registered resolvers: TSIG with their key.
			s.Log.Warn("rpz: unsigned or badly signed transfer refused", "from", w.RemoteAddr().String(), "tsig", fmt.Sprint(w.TsigStatus()))
			if r.IsTsig() != nil {
				// RFC 8945 5.3.2: a bad key or signature answers NOTAUTH, unsigned.
				m.Rcode = dns.RcodeNotAuth
				w.WriteMsg(m)
				return
			}
			reply(dns.RcodeRefused)
			return
		}
		if !tcp {
			// Over UDP only the current SOA: the client retries over TCP (RFC 1995 2).
			serial, err := Serial(ctx, s.DB)
			if err != nil {
				reply(dns.RcodeServerFailure)
				return
			}
			m.Answer = []dns.RR{s.Timers.SOA(serial)}
			reply(dns.RcodeSuccess)
			return
		}
		s.transfer(ctx, w, r)
	default:
		m.Ns = nil
		reply(dns.RcodeSuccess)
	}
}

// transfer streams the zone (AXFR) or the changes since the client's
// serial (IXFR), falling back to the whole zone when the journal does not
// reach back that far.
func (s *Server) transfer(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	kind := "axfr"
	var rrs []dns.RR
	var serial uint32
	var err error
	if q.Qtype == dns.TypeIXFR {
		var have uint32
		var ok bool
		if len(r.Ns) == 1 {
			if soa, isSOA := r.Ns[0].(*dns.SOA); isSOA {
				have, ok = soa.Serial, true
			}
		}
		if ok {
			rrs, serial, err = s.incremental(ctx, have)
			if rrs != nil {
				kind = "ixfr"
			}
		}
	}
	if err == nil && rrs == nil {
		rrs, serial, err = s.full(ctx)
	}
	if err != nil {
		s.Log.Error("rpz: transfer", "err", err)
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		t := r.IsTsig()
		m.SetTsig(t.Hdr.Name, t.Algorithm, t.Fudge, time.Now().Unix())
		w.WriteMsg(m)
		return
	}
	// Recorded before the stream starts, so the resolver has seen it once its
	// transfer ends: a record written after the close could land after the
	// resolver's next transfer and overwrite it.
	key := r.IsTsig().Hdr.Name
	if err := recordFetchByName(ctx, s.DB, key, remoteIP(w.RemoteAddr().String()), kind, serial); err != nil {
		s.Log.Warn("rpz: record transfer", "key", key, "err", err)
	}
	ch := make(chan *dns.Envelope)
	tr := new(dns.Transfer)
	done := make(chan error, 1)
	go func() { done <- tr.Out(w, r, ch) }()
	sendChunks(ch, rrs)
	close(ch)
	if err := <-done; err != nil {
		s.Log.Warn("rpz: transfer cut", "from", w.RemoteAddr().String(), "err", err)
		return
	}
	w.Close()
}

// chunkBytes keeps each transfer message well under the 64 KiB a TCP DNS
// message may hold (the transfer writer does not compress names).
const chunkBytes = 32 << 10

func sendChunks(ch chan<- *dns.Envelope, rrs []dns.RR) {
	var cur []dns.RR
	size := 0
	for _, rr := range rrs {
		n := dns.Len(rr)
		if size+n > chunkBytes && len(cur) > 0 {
			ch <- &dns.Envelope{RR: cur}
			cur, size = nil, 0
		}
		cur = append(cur, rr)
		size += n
	}
	if len(cur) > 0 {
		ch <- &dns.Envelope{RR: cur}
	}
}

// full is the AXFR: SOA, NS, every block's records, SOA.
func (s *Server) full(ctx context.Context) ([]dns.RR, uint32, error) {
	serial, _, rrs, err := s.cache.current(ctx, s.DB, false)
	return rrs, serial, err
}

type change struct {
	serial               uint32
	op, domain, pol, tgt string
}

// incremental is the IXFR (RFC 1995) from serial have: the current SOA,
// then per serial the old SOA, what it deleted, the new SOA, what it
// added; then the current SOA. nil without an error means "send the whole
// zone": the journal does not start at have+1.
func (s *Server) incremental(ctx context.Context, have uint32) ([]dns.RR, uint32, error) {
	var cur uint32
	var changes []change
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if cur, err = Serial(ctx, tx); err != nil {
			return err
		}
		if have == cur || !newer(cur, have) {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT serial, op, domain, policy, target FROM rpz_journal WHERE serial > ? AND serial <= ? ORDER BY serial, id`, int64(have), int64(cur))
		if err != nil {
			return err
		}
		changes, err = store.Collect(rows, func(r store.Scanner) (change, error) {
			var c change
			var n int64
			err := r.Scan(&n, &c.op, &c.domain, &c.pol, &c.tgt)
			c.serial = uint32(n)
			return c, err
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	soa := s.Timers.SOA(cur)
	if have == cur || !newer(cur, have) {
		return []dns.RR{soa}, cur, nil // up to date (or ahead): the SOA alone
	}
	if len(changes) == 0 || changes[0].serial != have+1 || changes[len(changes)-1].serial != cur {
		return nil, cur, nil
	}
	out := []dns.RR{soa}
	prev := have
	for i := 0; i < len(changes); {
		sn := changes[i].serial
		j := i
		for j < len(changes) && changes[j].serial == sn {
			j++
		}
		if sn != prev+1 {
			return nil, cur, nil // a gap: the whole zone rather than a wrong diff
		}
		out = append(out, s.Timers.SOA(prev))
		for _, c := range changes[i:j] {
			if c.op == "del" {
				out = append(out, s.Timers.records(c.domain, c.pol, c.tgt)...)
			}
		}
		out = append(out, s.Timers.SOA(sn))
		for _, c := range changes[i:j] {
			if c.op == "add" {
				out = append(out, s.Timers.records(c.domain, c.pol, c.tgt)...)
			}
		}
		prev, i = sn, j
	}
	return append(out, soa), cur, nil
}

// newer reports whether serial a is after b in serial arithmetic (RFC 1982).
func newer(a, b uint32) bool { return a != b && int32(a-b) > 0 }

// notifyLoop sends NOTIFY to every registered resolver that gave an
// address each time the serial moves. Each instance does it; a resolver
// told twice asks once more for the SOA, which is harmless.
func (s *Server) notifyLoop(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	last, _ := Serial(ctx, s.DB)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		cur, err := Serial(ctx, s.DB)
		if err != nil || cur == last {
			continue
		}
		last = cur
		s.NotifyAll(ctx, cur)
	}
}

// NotifyAll tells the registered resolvers the zone is at serial.
func (s *Server) NotifyAll(ctx context.Context, serial uint32) {
	rs, err := ListResolvers(ctx, s.DB, false)
	if err != nil {
		s.Log.Warn("rpz: notify: list resolvers", "err", err)
		return
	}
	for _, r := range rs {
		if r.NotifyAddr == "" {
			continue
		}
		go func(r Resolver) {
			if err := s.notify(r.NotifyAddr, serial); err != nil {
				s.Log.Warn("rpz: notify", "resolver", r.Name, "addr", r.NotifyAddr, "err", err)
			}
		}(r)
	}
}

func (s *Server) notify(addr string, serial uint32) error {
	m := new(dns.Msg)
	m.SetNotify(fqOrigin)
	m.Answer = []dns.RR{s.Timers.SOA(serial)}
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
	var last error
	for try := 0; try < 3; try++ {
		in, _, err := c.Exchange(m, addr)
		if err == nil && in.Rcode == dns.RcodeSuccess {
			return nil
		}
		if err == nil {
			err = errors.New(dns.RcodeToString[in.Rcode])
		}
		last = err
	}
	return last
}
