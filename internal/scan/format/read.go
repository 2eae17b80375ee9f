// Package format reads and writes scan results in the formats other tools
// speak: nuclei's JSONL (in and out), nmap's XML (-oX, in), SARIF 2.1.0 and
// CSV (out). It turns bytes into []scan.Result and back; it must never
// decide what a result means for a finding (package finding does).
package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/garda-id/garda/internal/scan"
)

// MaxLine is the longest JSONL line read (a result with its request and
// response); a longer one is an error, not a reason to use more memory.
const MaxLine = 16 << 20

// Read reads results in whichever format r holds: nuclei JSONL (a line
// starting with '{') or nmap XML (starting with '<'). name is for errors.
func Read(r io.Reader, name string) ([]scan.Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: empty: want nuclei JSONL or nmap XML (-oX)", name)
			}
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		case 0xEF: // a UTF-8 byte order mark
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				br.Discard(3)
				continue
			}
		case '{':
			return ReadJSONL(br, name)
		case '<':
			return ReadNmapXML(br, name)
		}
		return nil, fmt.Errorf("%s: neither nuclei JSONL (lines of {...}) nor nmap XML (-oX, <?xml ...>)", name)
	}
}

// ReadJSONL reads nuclei's JSONL results, one object a line (blank lines
// are skipped). Every line must be a result with a template-id; the first
// that is not makes the whole read fail, naming its line.
func ReadJSONL(r io.Reader, name string) ([]scan.Result, error) {
	var out []scan.Result
	err := EachJSONL(r, name, func(res scan.Result) error {
		out = append(out, res)
		return nil
	})
	return out, err
}

// EachJSONL is ReadJSONL one result at a time, for files too large to hold.
func EachJSONL(r io.Reader, name string, fn func(scan.Result) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var res scan.Result
		if err := json.Unmarshal(text, &res); err != nil {
			return fmt.Errorf("%s:%d: not a nuclei result: %w", name, line, err)
		}
		if strings.TrimSpace(res.TemplateID) == "" {
			return fmt.Errorf("%s:%d: a nuclei result needs a template-id", name, line)
		}
		if res.Info.Severity == "" {
			res.Info.Severity = scan.SeverityUnknown
		} else if res.Info.Severity.Rank() < 0 {
			return fmt.Errorf("%s:%d: unknown severity %q (want info, low, medium, high, critical or unknown)", name, line, res.Info.Severity)
		}
		if res.MatchedAt == "" && res.Host == "" {
			return fmt.Errorf("%s:%d: result %s says neither host nor matched-at", name, line, res.TemplateID)
		}
		if err := fn(res); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: a line longer than %d bytes", name, line+1, MaxLine)
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}
