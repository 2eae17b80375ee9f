package scan

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Checks read the same pages: the base page alone is fetched by the
// headers, HSTS, CORS, versions and technology checks and a dozen
// templates. A target's scan therefore asks the site once for each
// identical GET (same URL, same headers, no body) and answers the others
// from what it said, so that politeness is spent on new questions. Only
// answers worth repeating are kept: no errors, no 5xx or 429 (a flaky
// site's second answer may differ), no body over maxCachedBody, and no
// more than maxCacheBytes per target: a round holds hundreds of targets'
// caches at once.
//
// Most answers a scan gets are the same "not found" page, hundreds of
// times, so an entry holds only a digest of its question, its own Date,
// and the response head and body it shares with every identical answer
// of the target: an entry costs ~100 bytes, not a kilobyte.
const (
	maxCachedBody = 64 << 10
	maxCacheBytes = 128 << 10
	entryCost     = 112 // digest, date, pointers, the map's share
)

// cachingEnv returns env answering repeated identical GETs from one
// fetch; one per target, dropped with it.
func cachingEnv(env *Env) *Env {
	if env == nil || env.HTTP == nil {
		return env
	}
	e := *env
	c := *env.HTTP
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &responseCache{rt: rt, entries: map[digest]*cachedResponse{},
		heads: map[digest]*cachedHead{}, bodies: map[digest][]byte{}}
	e.HTTP = &c
	return &e
}

type digest [16]byte

func digestOf(parts ...[]byte) digest {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

// cachedHead is a response without its body and Date, shared by every
// identical answer of one target.
type cachedHead struct {
	resp *http.Response
}

type cachedResponse struct {
	head *cachedHead
	body []byte // shared with identical bodies
	date string
	tls  *tls.ConnectionState // shared with the connection's other answers
}

type responseCache struct {
	rt      http.RoundTripper
	mu      sync.Mutex
	entries map[digest]*cachedResponse
	heads   map[digest]*cachedHead
	bodies  map[digest][]byte
	bytes   int
}

func cacheKey(r *http.Request) (digest, bool) {
	if r.Method != http.MethodGet || (r.Body != nil && r.Body != http.NoBody) {
		return digest{}, false
	}
	if _, ok := RequestOptionsFrom(r.Context()); ok {
		return digest{}, false // another server name or a proxy: another answer
	}
	var b strings.Builder
	b.WriteString(r.URL.String())
	b.WriteString("\nhost:")
	b.WriteString(r.Host)
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			b.WriteString("\n" + k + ":" + v)
		}
	}
	return digestOf([]byte(b.String())), true
}

func (c *responseCache) RoundTrip(r *http.Request) (*http.Response, error) {
	key, ok := cacheKey(r)
	if !ok {
		return c.rt.RoundTrip(r)
	}
	c.mu.Lock()
	hit := c.entries[key]
	c.mu.Unlock()
	if hit != nil {
		return hit.answer(r), nil
	}
	resp, err := c.rt.RoundTrip(r)
	if err != nil || resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
	if err != nil || len(body) > maxCachedBody {
		// too big or cut short: pass it on as it came, unkept
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	header := resp.Header.Clone()
	date := header.Get("Date")
	header.Del("Date")
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %d %v\n", resp.Proto, resp.StatusCode, resp.Uncompressed)
	_ = header.Write(&head)
	_ = resp.Trailer.Write(&head)
	headKey, bodyKey := digestOf(head.Bytes()), digestOf(body)

	c.mu.Lock()
	defer c.mu.Unlock()
	h, b := c.heads[headKey], c.bodies[bodyKey]
	size := entryCost + len(date)
	if h == nil {
		// what a reader of the response sees, not the request it pins
		h = &cachedHead{resp: &http.Response{Status: resp.Status, StatusCode: resp.StatusCode,
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor, Header: header,
			Trailer: resp.Trailer, Uncompressed: resp.Uncompressed}}
		size += 2*head.Len() + 256 // the map's strings and slices over their text
	}
	if b == nil {
		b = bytes.Clone(body) // ReadAll's buffer is at least 512 bytes
		size += len(b) + 64
	}
	kept := &cachedResponse{head: h, body: b, date: date, tls: resp.TLS}
	if c.bytes+size <= maxCacheBytes && c.entries[key] == nil {
		c.entries[key] = kept
		c.heads[headKey], c.bodies[bodyKey] = h, b
		c.bytes += size
	}
	return kept.answer(r), nil
}

// answer is a copy of the kept response for r, with its own body reader.
func (k *cachedResponse) answer(r *http.Request) *http.Response {
	resp := *k.head.resp
	resp.Header = k.head.resp.Header.Clone()
	if k.date != "" {
		resp.Header.Set("Date", k.date)
	}
	resp.TLS = k.tls
	resp.Body = io.NopCloser(bytes.NewReader(k.body))
	resp.ContentLength = int64(len(k.body))
	resp.Request = r
	return &resp
}

type readCloser struct {
	io.Reader
	io.Closer
}
