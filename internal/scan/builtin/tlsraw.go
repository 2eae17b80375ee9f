package builtin

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// A hand-built ClientHello reaches the suites crypto/tls cannot offer
// (anonymous, NULL, export, RC4, DES, DHE, CAMELLIA, ARIA, CCM): Garda
// needs only the server's choice, read from its ServerHello, never a
// finished handshake, so nothing here encrypts anything.

var errRefused = errors.New("builtin: server refused the offer")

// rawHello sends a TLS 1.0-1.2 ClientHello offering suites and returns the
// suite the server chose, or errRefused.
func rawHello(ctx context.Context, env *scan.Env, host, addr string, version uint16, suites []uint16) (uint16, error) {
	c, err := env.Dial(ctx, "tcp", addr)
	if err != nil {
		return 0, dialError{fmt.Errorf("builtin: dial %s: %w", addr, err)}
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(clientHello(host, version, suites)); err != nil {
		return 0, errRefused
	}
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 22 {
		return 0, errRefused // an alert, a close, or not TLS
	}
	n := int(binary.BigEndian.Uint16(hdr[3:]))
	if n < 4 || n > 1<<14+2048 {
		return 0, errRefused
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c, body); err != nil || body[0] != 2 {
		return 0, errRefused
	}
	// ServerHello: type(1) len(3) version(2) random(32) sid_len(1) sid cipher(2)
	if len(body) < 4+2+32+1 {
		return 0, errRefused
	}
	if binary.BigEndian.Uint16(body[4:]) != version {
		return 0, errRefused // it answered another version: not this one
	}
	sid := int(body[4+2+32])
	off := 4 + 2 + 32 + 1 + sid
	if len(body) < off+2 {
		return 0, errRefused
	}
	return binary.BigEndian.Uint16(body[off:]), nil
}

func clientHello(host string, version uint16, suites []uint16) []byte {
	var b []byte
	u16 := func(v uint16) { b = binary.BigEndian.AppendUint16(b, v) }
	u16(version)
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	b = append(b, random...)
	b = append(b, 0) // no session id
	u16(uint16(2 * len(suites)))
	for _, s := range suites {
		u16(s)
	}
	b = append(b, 1, 0) // compression: null
	var ext []byte
	add := func(typ uint16, data []byte) {
		ext = binary.BigEndian.AppendUint16(ext, typ)
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(data)))
		ext = append(ext, data...)
	}
	if host != "" && !isIP(host) {
		name := []byte(host)
		sni := binary.BigEndian.AppendUint16(nil, uint16(len(name)+3))
		sni = append(sni, 0)
		sni = binary.BigEndian.AppendUint16(sni, uint16(len(name)))
		add(0x0000, append(sni, name...))
	}
	groups := []uint16{0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101}
	g := binary.BigEndian.AppendUint16(nil, uint16(2*len(groups)))
	for _, x := range groups {
		g = binary.BigEndian.AppendUint16(g, x)
	}
	add(0x000a, g)            // supported_groups
	add(0x000b, []byte{1, 0}) // ec_point_formats: uncompressed
	if version >= 0x0303 {
		algs := []uint16{0x0401, 0x0501, 0x0601, 0x0201, 0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806}
		a := binary.BigEndian.AppendUint16(nil, uint16(2*len(algs)))
		for _, x := range algs {
			a = binary.BigEndian.AppendUint16(a, x)
		}
		add(0x000d, a) // signature_algorithms
	}
	add(0xff01, []byte{0}) // renegotiation_info
	b = binary.BigEndian.AppendUint16(b, uint16(len(ext)))
	b = append(b, ext...)
	hs := append([]byte{1, byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
	rec := []byte{22, 3, 1, byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// probeLegacy enumerates, by elimination, the legacy suites the server
// takes at version.
func probeLegacy(ctx context.Context, env *scan.Env, host, addr string, version uint16) ([]string, error) {
	names := map[uint16]string{}
	var offer []uint16
	for _, s := range legacySuites {
		names[s.id] = s.name
		offer = append(offer, s.id)
	}
	var got []string
	for len(offer) > 0 {
		id, err := rawHello(ctx, env, host, addr, version, offer)
		if errors.Is(err, errRefused) {
			break
		}
		if err != nil {
			return got, err
		}
		name, ok := names[id]
		if !ok {
			break // it chose a suite not offered: a broken server; stop
		}
		got = append(got, name)
		offer = without(offer, id)
	}
	return got, ctx.Err()
}
