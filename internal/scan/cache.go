package scan

import (
	"bytes"
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
// more than maxCacheBytes per target, counting keys and headers: a round
// holds hundreds of targets' caches at once.
const (
	maxCachedBody = 64 << 10
	maxCacheBytes = 128 << 10
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
	c.Transport = &responseCache{rt: rt, entries: map[string]*cachedResponse{}}
	e.HTTP = &c
	return &e
}

type cachedResponse struct {
	resp *http.Response // without its body
	body []byte
}

type responseCache struct {
	rt      http.RoundTripper
	mu      sync.Mutex
	entries map[string]*cachedResponse
	bytes   int
}

func cacheKey(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet || (r.Body != nil && r.Body != http.NoBody) {
		return "", false
	}
	if _, ok := RequestOptionsFrom(r.Context()); ok {
		return "", false // another server name or a proxy: another answer
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
	return b.String(), true
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
	// keep what a reader of the response sees, not the request it pins
	kept := &cachedResponse{resp: &http.Response{Status: resp.Status, StatusCode: resp.StatusCode,
		Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor, Header: resp.Header,
		Trailer: resp.Trailer, Uncompressed: resp.Uncompressed, TLS: resp.TLS}, body: body}
	size := len(key) + len(body) + 200 // the Response itself
	for k, vs := range resp.Header {
		size += len(k) + 16
		for _, v := range vs {
			size += len(v) + 16
		}
	}
	c.mu.Lock()
	if c.bytes+size <= maxCacheBytes && c.entries[key] == nil {
		c.entries[key] = kept
		c.bytes += size
	}
	c.mu.Unlock()
	return kept.answer(r), nil
}

// answer is a copy of the kept response for r, with its own body reader.
func (k *cachedResponse) answer(r *http.Request) *http.Response {
	resp := *k.resp
	resp.Header = k.resp.Header.Clone()
	resp.Body = io.NopCloser(bytes.NewReader(k.body))
	resp.ContentLength = int64(len(k.body))
	resp.Request = r
	return &resp
}

type readCloser struct {
	io.Reader
	io.Closer
}
