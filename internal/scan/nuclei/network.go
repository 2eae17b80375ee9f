package nuclei

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/scan/nuclei/dsl"
)

type networkRequest struct {
	operators `yaml:",inline"`

	ID           string         `yaml:"id"`
	Host         []string       `yaml:"host"`
	Address      []string       `yaml:"address"`
	Port         any            `yaml:"port"`
	ExcludePorts string         `yaml:"exclude-ports"`
	Inputs       []networkInput `yaml:"inputs"`
	ReadSize     int            `yaml:"read-size"`
	ReadAll      bool           `yaml:"read-all"`
	Payloads     map[string]any `yaml:"payloads"`
	Attack       string         `yaml:"attack"`

	ports    []string
	payloads *payloadSet
}

type networkInput struct {
	Data string `yaml:"data"`
	Type string `yaml:"type"`
	Read int    `yaml:"read"`
	Name string `yaml:"name"`
}

// maxNetworkRead bounds what one read takes.
const maxNetworkRead = 1 << 20

func (r *networkRequest) compile(baseDir string) error {
	r.Host = append(r.Host, r.Address...)
	if len(r.Host) == 0 {
		return errors.New("network request without host")
	}
	for _, h := range r.Host {
		if err := checkPlaceholders(h); err != nil {
			return err
		}
	}
	for i, in := range r.Inputs {
		if err := checkPlaceholders(in.Data); err != nil {
			return err
		}
		switch in.Type {
		case "", "text":
		case "hex":
			if !strings.Contains(in.Data, "{{") {
				if _, err := hex.DecodeString(in.Data); err != nil {
					return fmt.Errorf("input %d: hex: %w", i+1, err)
				}
			}
		default:
			return fmt.Errorf("input %d: type %q: not text or hex", i+1, in.Type)
		}
		if in.Read < 0 || in.Read > maxNetworkRead {
			return fmt.Errorf("input %d: read %d out of range", i+1, in.Read)
		}
	}
	if r.ReadSize == 0 {
		r.ReadSize = 1024
	}
	if r.ReadSize < 0 || r.ReadSize > maxNetworkRead {
		return fmt.Errorf("read-size %d out of range", r.ReadSize)
	}
	switch p := r.Port.(type) {
	case nil:
	case int:
		r.ports = []string{fmt.Sprint(p)}
	case string:
		for _, x := range strings.Split(p, ",") {
			if x = strings.TrimSpace(x); x != "" {
				r.ports = append(r.ports, x)
			}
		}
	default:
		return fmt.Errorf("port %v: not a number or a list", p)
	}
	ps, err := loadPayloads(r.Payloads, r.Attack, baseDir)
	if err != nil {
		return err
	}
	r.payloads = ps
	return r.operators.compile()
}

func (s *runState) runNetwork(ctx context.Context, r *networkRequest) error {
	if s.env.Dial == nil {
		return errors.New("network template without Dial in the Env")
	}
	var firstErr error
	anyOK := false
	for _, combo := range r.payloads.combinations(s.requestCap()) {
		vars := s.requestVars()
		for k, v := range combo {
			vars[k] = dsl.Interpolate(dsl.ToString(v), vars)
		}
		seen := map[string]bool{}
		for _, h := range r.Host {
			for _, addr := range s.networkAddrs(h, r.ports, vars) {
				// the same address twice is asked once, as nuclei does
				if seen[addr] {
					continue
				}
				seen[addr] = true
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := s.networkOne(ctx, r, addr, vars); err != nil {
					if firstErr == nil {
						firstErr = err
					}
				} else {
					anyOK = true
				}
			}
		}
	}
	// a template that tries several addresses (the target's port and a
	// well-known one) ran if any answered
	if !anyOK && firstErr != nil {
		return fmt.Errorf("%s: %w", s.t.id, firstErr)
	}
	return nil
}

// networkAddrs resolves a host entry ("{{Hostname}}", "tls://{{Host}}:443")
// into the addresses to try: with `port:` set, the target's host on each
// of those ports.
func (s *runState) networkAddrs(h string, ports []string, vars dsl.Vars) []string {
	h = dsl.Interpolate(h, vars)
	prefix := ""
	if strings.HasPrefix(h, "tls://") {
		prefix, h = "tls://", strings.TrimPrefix(h, "tls://")
	}
	if len(ports) > 0 && !s.tg.explicitPort {
		host := h
		if hh, _, err := net.SplitHostPort(h); err == nil {
			host = hh
		}
		var out []string
		for _, p := range ports {
			out = append(out, prefix+net.JoinHostPort(host, p))
		}
		return out
	}
	if _, _, err := net.SplitHostPort(h); err != nil {
		h = net.JoinHostPort(h, s.tg.port)
	}
	return []string{prefix + h}
}

func (s *runState) networkOne(ctx context.Context, r *networkRequest, addr string, vars dsl.Vars) error {
	useTLS := strings.HasPrefix(addr, "tls://")
	addr = strings.TrimPrefix(addr, "tls://")
	if h, _, err := net.SplitHostPort(addr); err != nil || !strings.EqualFold(h, s.tg.hostname) {
		return fmt.Errorf("address %s: a template connects only to the target %s", addr, s.tg.hostname)
	}
	conn, err := s.env.Dial(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if useTLS {
		host, _, _ := net.SplitHostPort(addr)
		cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a probe, not a trust decision
		if net.ParseIP(host) == nil {
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		conn = tc
	}
	deadline := time.Now().Add(10 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	v := merge(vars)
	var request strings.Builder
	for _, in := range r.Inputs {
		data := dsl.Interpolate(in.Data, v)
		if in.Type == "hex" {
			b, err := hex.DecodeString(data)
			if err != nil {
				return fmt.Errorf("hex input: %w", err)
			}
			data = string(b)
		}
		request.WriteString(data)
		if _, err := io.WriteString(conn, data); err != nil {
			return err
		}
		if in.Read > 0 {
			got := readSome(conn, in.Read, false)
			if in.Name != "" {
				v[in.Name] = got
			}
		}
	}
	data := readSome(conn, r.ReadSize, r.ReadAll)
	v["data"] = data
	v["raw"] = data
	v["body"] = data
	v["request"] = request.String()
	v["host"] = addr
	v["matched"] = addr
	res, ok := r.operators.execute(v, "data")
	for k, x := range res.dynamic {
		s.dynamic[k] = x[0]
	}
	if !ok {
		return nil
	}
	host, port, _ := net.SplitHostPort(addr)
	out := s.result("tcp") // nuclei's type name for the network protocol
	out.Host = host
	out.Port = port
	out.Scheme = ""
	out.URL = ""
	out.MatchedAt = addr
	out.Request = truncate(request.String())
	out.Response = truncate(data)
	if ip := net.ParseIP(host); ip != nil {
		out.IP = ip.String()
	}
	s.emitAll(out, res)
	return nil
}

// readSome reads up to n bytes: what the first read returns, as nuclei
// does (or, with all, until the peer closes or the deadline passes).
func readSome(conn net.Conn, n int, all bool) string {
	if all {
		b, _ := io.ReadAll(io.LimitReader(conn, maxNetworkRead))
		return string(b)
	}
	buf := make([]byte, n)
	k, _ := conn.Read(buf)
	return string(buf[:k])
}
