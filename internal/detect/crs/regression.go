package crs

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/garda-id/garda/internal/event"
)

// Location says where a regression case puts its payload, as far as an
// access log can show it.
type Location uint8

// The locations, in report order.
const (
	InURI       Location = iota // the request target (and method, version); every header at go-ftw's default
	InUserAgent                 // a non-default or missing User-Agent
	InHost                      // a non-default or missing Host
	InReferer                   // a Referer header
	// InBodyAsQuery is a URL-encoded form body moved into the query
	// string: not how the case was written, but the same payload as a GET
	// would carry it, so it measures CRS and the prefilter on ~2,000 more
	// payloads. It is reported apart and not counted in the URI bar.
	InBodyAsQuery
	numLocations
)

var locationNames = [numLocations]string{InURI: "uri", InUserAgent: "user-agent", InHost: "host",
	InReferer: "referer", InBodyAsQuery: "body>query"}

func (l Location) String() string {
	if l < numLocations {
		return locationNames[l]
	}
	return "unknown"
}

// Case is one go-ftw regression test reduced to what an access log holds.
type Case struct {
	File     string // path relative to the regression folder
	RuleID   int    // the file's rule id
	TestID   int
	Desc     string
	Class    Class // of RuleID
	Expect   []int // output.log.expect_ids: an attack case
	NoExpect []int // output.log.no_expect_ids: a negative case (when Expect is empty)

	Method, Target, Version  string
	Host, UserAgent, Referer string // "" when absent

	Location Location
	// Skip says why the case cannot be replayed from an access log; ""
	// when it can. SkipDetail names the headers concerned, if any.
	Skip, SkipDetail string
}

// Attack reports whether the case expects a rule to fire.
func (c *Case) Attack() bool { return len(c.Expect) > 0 }

// Event is the case as a log event (url.domain, user_agent.original and
// http.request.referrer "-" when the case has no such header, as nginx
// logs them).
func (c *Case) Event() *event.Event {
	ev := &event.Event{}
	ev.Set(event.SourceIP, "192.0.2.10")
	ev.Set(event.HTTPMethod, c.Method)
	ev.Set(event.URLOriginal, c.Target)
	ev.Set(event.HTTPVersion, c.Version)
	ev.Set(event.URLDomain, c.Host)
	ev.Set(event.UserAgent, orDash(c.UserAgent))
	ev.Set(event.Referrer, orDash(c.Referer))
	return ev
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// The go-ftw test file format (the fields this package reads).
type ftwFile struct {
	RuleID int       `yaml:"rule_id"`
	Tests  []ftwTest `yaml:"tests"`
}

type ftwTest struct {
	TestID int        `yaml:"test_id"`
	Desc   string     `yaml:"desc"`
	Stages []ftwStage `yaml:"stages"`
}

type ftwStage struct {
	Input  ftwInput  `yaml:"input"`
	Output ftwOutput `yaml:"output"`
	Stage  *struct { // the older nesting: stages: - stage: {input, output}
		Input  ftwInput  `yaml:"input"`
		Output ftwOutput `yaml:"output"`
	} `yaml:"stage"`
}

type ftwInput struct {
	Method         *string           `yaml:"method"`
	URI            *string           `yaml:"uri"`
	Version        *string           `yaml:"version"`
	Headers        map[string]string `yaml:"headers"`
	Data           string            `yaml:"data"`
	EncodedRequest string            `yaml:"encoded_request"`
	RawRequest     string            `yaml:"raw_request"`
}

type ftwOutput struct {
	Status      int  `yaml:"status"`
	ExpectError bool `yaml:"expect_error"`
	Log         struct {
		ExpectIDs   []int  `yaml:"expect_ids"`
		NoExpectIDs []int  `yaml:"no_expect_ids"`
		MatchRegex  string `yaml:"match_regex"`
		NoMatch     string `yaml:"no_match_regex"`
	} `yaml:"log"`
}

// The go-ftw defaults, and the headers CRS's tests send everywhere.
const (
	ftwHost      = "localhost"
	ftwUserAgent = "OWASP CRS test agent"
)

// inertHeaders are headers an access log does not hold, with the values
// CRS's tests use as plain defaults. A case whose other headers all have
// these values loses nothing the rules look at when reduced to a log
// line; any other header or value may be the payload, so such a case is
// skipped.
var inertHeaders = map[string][]string{
	"accept": {"text/xml,application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5",
		"*/*", "text/html", "text/html;q=0.9,*/*;q=0.8"},
	"accept-encoding":  {"gzip,deflate", "gzip, deflate", "gzip, deflate, br"},
	"accept-language":  {"en-us,en;q=0.5", "zh-sg", "pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7"},
	"accept-charset":   {"ISO-8859-1,utf-8;q=0.7,*;q=0.7"},
	"keep-alive":       {"300"},
	"proxy-connection": {"keep-alive"},
	"connection":       {"close", "keep-alive"},
	"cache-control":    {"no-cache", "no-cache, no-store, must-revalidate"},
	"content-length":   {"0"},
	"content-type":     {"application/x-www-form-urlencoded"},
}

// LoadRegression reads every go-ftw YAML file under dir (CRS's
// tests/regression/tests layout) and returns its cases, replayable or
// not, in file order.
func LoadRegression(dir string) ([]Case, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list crs regression cases: %w", err)
	}
	slices.Sort(files)
	var cases []Case
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read crs regression file: %w", err)
		}
		rel, _ := filepath.Rel(dir, p)
		var f ftwFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("parse crs regression file %s: %w", rel, err)
		}
		for _, t := range f.Tests {
			cases = append(cases, reduce(rel, f.RuleID, t))
		}
	}
	return cases, nil
}

// reduce turns a go-ftw test into a Case, deciding whether an access log
// could show it and where its payload is. The rule, in order:
//
//  1. one stage only, with an expectation in rule ids (expect_ids or
//     no_expect_ids; status codes and log regexes are skipped), for a rule
//     in an attack file (not 949 scoring);
//  2. no request body (data, or a body after an encoded_request's
//     headers); a URL-encoded form body is moved into the query string and
//     the case counted apart (InBodyAsQuery);
//  3. it does not test a rule this package removes (removedRules: they
//     judge headers logs never hold);
//  4. every header besides Host, User-Agent and Referer is absent or one
//     of the inert defaults above (an empty Accept is not one: rules
//     judge it, and logs do not hold it);
//  5. the payload's location is the first of: Referer (present), Host
//     (not "localhost"), User-Agent (not go-ftw's test agent), else the
//     URI.
func reduce(file string, ruleID int, t ftwTest) Case {
	c := Case{File: file, RuleID: ruleID, TestID: t.TestID, Desc: t.Desc, Method: "GET", Target: "/", Version: "HTTP/1.1"}
	class, ok := ClassOfRule(ruleID)
	if !ok {
		c.Skip = "rule outside the attack files"
		return c
	}
	c.Class = class
	if len(t.Stages) != 1 {
		c.Skip = "several stages"
		return c
	}
	st := t.Stages[0]
	in, out := st.Input, st.Output
	if st.Stage != nil {
		in, out = st.Stage.Input, st.Stage.Output
	}
	c.Expect, c.NoExpect = out.Log.ExpectIDs, out.Log.NoExpectIDs
	if len(c.Expect) == 0 && len(c.NoExpect) == 0 {
		c.Skip = "expectation is a status code or log regex, not rule ids"
		return c
	}
	headers := map[string]string{}
	body := in.Data
	switch {
	case in.EncodedRequest != "" || in.RawRequest != "":
		raw := []byte(in.RawRequest)
		if in.EncodedRequest != "" {
			dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(in.EncodedRequest), ""))
			if err != nil {
				c.Skip = "encoded_request is not base64"
				return c
			}
			raw = dec
		}
		m, target, ver, hs, rest, ok := parseRawRequest(raw)
		if !ok {
			c.Skip = "raw request has no parsable request line"
			return c
		}
		c.Method, c.Target, c.Version, headers, body = m, target, ver, hs, rest
	default:
		if in.Method != nil {
			c.Method = *in.Method
		}
		if in.URI != nil {
			c.Target = *in.URI
		}
		if in.Version != nil {
			c.Version = *in.Version
		}
		for k, v := range in.Headers {
			headers[strings.ToLower(k)] = v
		}
	}
	if body != "" {
		ct := strings.ToLower(headers["content-type"])
		if ct != "" && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			c.Skip = "payload in a request body that is not a form"
			return c
		}
		delete(headers, "content-type")
		delete(headers, "content-length")
		sep := "?"
		if strings.Contains(c.Target, "?") {
			sep = "&"
		}
		c.Method, c.Target = "GET", c.Target+sep+queryEscape(body)
		c.Location = InBodyAsQuery
	}
	host, hasHost := headers["host"]
	ua, hasUA := headers["user-agent"]
	ref, hasRef := headers["referer"]
	c.Host, c.UserAgent, c.Referer = host, ua, ref
	for _, id := range append(slices.Clone(c.Expect), c.NoExpect...) {
		if slices.Contains(removedRules, id) {
			c.Skip = "tests a rule removed for access logs (" + strconv.Itoa(id) + ")"
			return c
		}
	}
	var other []string
	for k, v := range headers {
		switch k {
		case "host", "user-agent", "referer":
			continue
		}
		if !slices.Contains(inertHeaders[k], v) {
			other = append(other, k)
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		c.Skip = "payload may be in a header absent from access logs"
		c.SkipDetail = strings.Join(other, ", ")
		return c
	}
	switch {
	case c.Location == InBodyAsQuery:
		if hasRef || !hasHost || host != ftwHost || !hasUA || ua != ftwUserAgent {
			c.Skip = "form body with a payload in the headers too"
		}
	case hasRef:
		c.Location = InReferer
	case !hasHost || host != ftwHost:
		c.Location = InHost
	case !hasUA || ua != ftwUserAgent:
		c.Location = InUserAgent
	default:
		c.Location = InURI
	}
	return c
}

// queryEscape makes a form body fit a request target: it percent-encodes
// what a request line cannot hold (spaces, '#', control bytes, non-ASCII)
// and keeps the rest, encodings included, as the body had it.
func queryEscape(body string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c <= ' ' || c == '#' || c >= 0x7f {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// parseRawRequest splits an HTTP/1 request into its request line, headers
// (lower-cased names) and body.
func parseRawRequest(raw []byte) (method, target, version string, headers map[string]string, body string, ok bool) {
	head, rest, found := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !found {
		head, rest, _ = bytes.Cut(raw, []byte("\n\n"))
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if !sc.Scan() {
		return "", "", "", nil, "", false
	}
	parts := strings.SplitN(strings.TrimRight(sc.Text(), "\r"), " ", 3)
	if len(parts) != 3 {
		return "", "", "", nil, "", false
	}
	headers = map[string]string{}
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimRight(sc.Text(), "\r"), ":")
		headers[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return parts[0], parts[1], parts[2], headers, string(rest), true
}
