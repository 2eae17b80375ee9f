package match

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/intel"
)

// Read reads indicators for an offline replay: a STIX 2.1 bundle (its
// indicator objects, by their patterns; revoked and expired ones left out)
// or lines of "kind value" ("ipv4-addr 192.0.2.7", "domain-name
// evil.example"; blank lines and # comments skipped). Ids are the order of
// reading, from 1. A value that does not parse is an error naming it.
func Read(r io.Reader, now time.Time) ([]Entry, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	first, _ := br.Peek(64)
	if t := bytes.TrimSpace(first); len(t) > 0 && t[0] == '{' {
		return readBundle(br, now)
	}
	// The whole file as one string, cut into lines in place: a value is a
	// piece of it, not a string of its own (Compile copies what it keeps).
	var sb strings.Builder
	if st, ok := r.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			sb.Grow(int(fi.Size()) + 1)
		}
	}
	if _, err := io.Copy(&sb, br); err != nil {
		return nil, err
	}
	text := sb.String()
	out := make([]Entry, 0, strings.Count(text, "\n")+1)
	for n := 1; text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			k, v, ok = strings.Cut(line, "\t")
		}
		if !ok || !intel.Kind(k).Valid() {
			return nil, fmt.Errorf("line %d: want \"kind value\" with kind one of %v", n, intel.Kinds)
		}
		nv, err := intel.Normalize(intel.Kind(k), v)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, Entry{ID: int64(len(out) + 1), Kind: intel.Kind(k), Value: nv, Confidence: 50})
	}
	return out, nil
}

func readBundle(r io.Reader, now time.Time) ([]Entry, error) {
	var b struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.NewDecoder(r).Decode(&b); err != nil {
		return nil, fmt.Errorf("STIX bundle: %w", err)
	}
	if b.Type != "bundle" {
		return nil, fmt.Errorf("not a STIX bundle (type %q)", b.Type)
	}
	var out []Entry
	for i, raw := range b.Objects {
		var o struct {
			Type        string     `json:"type"`
			ID          string     `json:"id"`
			Pattern     string     `json:"pattern"`
			Confidence  *int       `json:"confidence"`
			ValidFrom   time.Time  `json:"valid_from"`
			ValidUntil  *time.Time `json:"valid_until"`
			Revoked     bool       `json:"revoked"`
			PatternType string     `json:"pattern_type"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		if o.Type != "indicator" {
			continue
		}
		if o.PatternType != "" && o.PatternType != "stix" {
			continue
		}
		if o.Revoked || o.ValidFrom.After(now) || o.ValidUntil != nil && !o.ValidUntil.After(now) {
			continue
		}
		k, v, err := intel.ParsePattern(o.Pattern)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.ID, err)
		}
		e := Entry{ID: int64(len(out) + 1), Kind: k, Value: v, Confidence: 50}
		if o.Confidence != nil {
			e.Confidence = *o.Confidence
		}
		if o.ValidUntil != nil {
			e.Until = *o.ValidUntil
		}
		out = append(out, e)
	}
	return out, nil
}

// Write writes entries as Read reads them ("kind value" lines).
func Write(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for _, e := range entries {
		bw.WriteString(string(e.Kind))
		bw.WriteByte(' ')
		bw.WriteString(e.Value)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
