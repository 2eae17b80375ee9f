// Package locale holds the UI's words: message files per language that a
// translator edits without touching Go, gathered into one catalog that the
// web shell and every pillar's pages package translate through.
//
// A message file is flat JSON, one object of "key": "text" pairs (the form
// Gitea's locale files, go-i18n and translation tools read), named
// <area>.<lang>.json: internal/web/messages/incidents.id.json beside
// incidents.en.json. Texts are fmt formats: "%d belum dibaca" takes its
// count the way fmt.Sprintf does, and a translation may reorder arguments
// with explicit indexes (%[2]s). A key is defined in one file only, and
// each key has a text in every language with the same arguments
// (Catalog.Problems says where not), and every key a template or handler
// uses is defined (Catalog.Undefined).
//
// A pages package ships its own files and registers them once, in init:
//
//	//go:embed messages
//	var messageFiles embed.FS
//
//	func init() { locale.Register(messageFiles, "messages") }
//
// This package never renders pages and never decides the reader's
// language: it only answers "what is this key in that language".
package locale

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// The languages the UI speaks. Indonesian is the default; every key has a
// text in each of them.
const (
	ID = "id"
	EN = "en"
)

// Languages lists the languages every message file set must cover.
func Languages() []string { return []string{ID, EN} }

// Catalog is a set of message files: for each key, its text in each
// language and the area that defines it.
type Catalog struct {
	text map[string]map[string]string // lang → key → text
	from map[string]string            // key → the area that defines it: dir/<area>, without .<lang>.json
}

// New returns an empty catalog.
func New() *Catalog {
	c := &Catalog{text: make(map[string]map[string]string), from: make(map[string]string)}
	for _, lang := range Languages() {
		c.text[lang] = make(map[string]string)
	}
	return c
}

// fileName is <area>.<lang>.json.
var fileName = regexp.MustCompile(`^([a-z0-9_-]+)\.([a-z]{2})\.json$`)

// Add reads every message file in dir of fsys into the catalog. A file that
// does not parse, an unknown language, or a key already defined (in this
// catalog or in another file of dir) is an error naming the file, and then
// nothing of dir is added.
func (c *Catalog) Add(fsys fs.FS, dir string) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return fmt.Errorf("list message files in %s: %w", dir, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("no message files (<area>.<lang>.json) in %s", dir)
	}
	next := c.clone()
	for _, name := range names {
		m := fileName.FindStringSubmatch(path.Base(name))
		if m == nil {
			return fmt.Errorf("message file %s: name it <area>.<lang>.json", name)
		}
		lang := m[2]
		texts, ok := next.text[lang]
		if !ok {
			return fmt.Errorf("message file %s: language %q is not one of %s", name, lang, strings.Join(Languages(), ", "))
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read message file %s: %w", name, err)
		}
		entries, err := Parse(b)
		if err != nil {
			return fmt.Errorf("message file %s: %w", name, err)
		}
		area := strings.TrimSuffix(name, "."+lang+".json")
		for _, e := range entries {
			if _, dup := texts[e.Key]; dup {
				return fmt.Errorf("message file %s: key %q is already defined in %s.%s.json", name, e.Key, next.from[e.Key], lang)
			}
			if other, ok := next.from[e.Key]; ok && other != area {
				return fmt.Errorf("message file %s: key %q belongs to %s.*.json: keep a key's languages in one area", name, e.Key, other)
			}
			texts[e.Key] = e.Text
			next.from[e.Key] = area
		}
	}
	*c = *next
	return nil
}

func (c *Catalog) clone() *Catalog {
	n := New()
	for lang, texts := range c.text {
		for k, v := range texts {
			n.text[lang][k] = v
		}
	}
	for k, v := range c.from {
		n.from[k] = v
	}
	return n
}

// Text is a key's text in a language (Indonesian for a language the UI
// does not speak), and whether the key exists in it.
func (c *Catalog) Text(lang, key string) (string, bool) {
	texts, ok := c.text[lang]
	if !ok {
		texts = c.text[ID]
	}
	s, ok := texts[key]
	return s, ok
}

// Has says whether a key is defined (in any language).
func (c *Catalog) Has(key string) bool {
	_, ok := c.from[key]
	return ok
}

// Keys lists every key, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.from))
	for k := range c.from {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Translate formats a key's text in a language with args. A missing key
// shows itself in double brackets, [[key]], so that a test (and a person)
// notices at once.
func (c *Catalog) Translate(lang, key string, args ...any) string {
	s, ok := c.Text(lang, key)
	if !ok {
		return "[[" + key + "]]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Problems lists what a translator must fix: a key missing from a
// language, an empty text, or two languages whose texts take different
// arguments (verb by argument index: "%s %d" and "%[2]d %[1]s" agree).
func (c *Catalog) Problems() []string {
	var out []string
	for _, key := range c.Keys() {
		var firstLang, firstVerbs string
		for _, lang := range Languages() {
			s, ok := c.text[lang][key]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s: key %q has no %s text", c.from[key], key, lang))
				continue
			case strings.TrimSpace(s) == "":
				out = append(out, fmt.Sprintf("%s: key %q has an empty %s text", c.from[key], key, lang))
			}
			if firstLang == "" {
				firstLang, firstVerbs = lang, Verbs(s)
			} else if v := Verbs(s); v != firstVerbs {
				out = append(out, fmt.Sprintf("%s: key %q takes %s in %s but %s in %s", c.from[key], key, firstVerbs, firstLang, v, lang))
			}
		}
	}
	return out
}

// uses finds the keys a template or Go file asks for: {{.T "key"}},
// T("key"), translate(lang, "key").
var uses = regexp.MustCompile(`\.T "([^"]+)"|\bT\("([^"]+)"|\btranslate\(\w+, "([^"]+)"`)

// Undefined lists, as "file uses key", the keys that the files of fsys
// matching patterns use and the catalog does not define, so that a pages
// package's test catches a typo before a person sees [[key]]. Test files
// are not read; a key ending in "." is a prefix completed at run time.
func (c *Catalog) Undefined(fsys fs.FS, patterns ...string) ([]string, error) {
	var out []string
	for _, pattern := range patterns {
		names, err := fs.Glob(fsys, pattern)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
				key := m[1] + m[2] + m[3]
				if !strings.HasSuffix(key, ".") && !c.Has(key) {
					out = append(out, fmt.Sprintf("%s uses %q", name, key))
				}
			}
		}
	}
	return out, nil
}

// verb is one fmt directive: flags, an optional [n] index, width,
// precision, and the verb letter (or %% for a percent sign).
var verb = regexp.MustCompile(`%[-+# 0]*(?:\[(\d+)\])?[0-9*]*(?:\.[0-9*]*)?([a-zA-Z%])`)

// Verbs describes the arguments a format takes as "1:s 2:d", in argument
// order, following fmt's rule that a verb without an index takes the
// argument after the previous one.
func Verbs(format string) string {
	next := 1
	byArg := map[int]string{}
	for _, m := range verb.FindAllStringSubmatch(format, -1) {
		if m[2] == "%" {
			continue
		}
		if m[1] != "" {
			fmt.Sscan(m[1], &next)
		}
		byArg[next] += m[2]
		next++
	}
	args := make([]int, 0, len(byArg))
	for n := range byArg {
		args = append(args, n)
	}
	sort.Ints(args)
	parts := make([]string, len(args))
	for i, n := range args {
		parts[i] = fmt.Sprintf("%d:%s", n, byArg[n])
	}
	if len(parts) == 0 {
		return "no arguments"
	}
	return strings.Join(parts, " ")
}

// Entry is one "key": "text" pair of a message file.
type Entry struct{ Key, Text string }

// Parse reads a message file: one JSON object whose values are strings.
// Unlike encoding/json's maps it keeps the file's order and refuses a key
// given twice, which JSON itself would let the last one win silently.
func Parse(data []byte) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("want one JSON object of \"key\": \"text\" pairs%s", at(err))
	}
	var out []Entry
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read key%s", at(err))
		}
		key := t.(string) // inside an object, the decoder hands keys as strings
		var text string
		if err := dec.Decode(&text); err != nil {
			return nil, fmt.Errorf("key %q: want a string text%s", key, at(err))
		}
		if key == "" {
			return nil, errors.New("an empty key")
		}
		if seen[key] {
			return nil, fmt.Errorf("key %q is given twice", key)
		}
		seen[key] = true
		out = append(out, Entry{key, text})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("unterminated object%s", at(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the object")
	}
	return out, nil
}

func at(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// Format writes entries as a message file: one pair a line, in the given
// order, with non-ASCII letters and <, >, & left readable.
func Format(entries []Entry) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, e := range entries {
		b.WriteString("  ")
		b.Write(quote(e.Key))
		b.WriteString(": ")
		b.Write(quote(e.Text))
		if i < len(entries)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimRight(b.Bytes(), "\n")
}

// registered is the catalog every pages package adds its files to. It is
// replaced whole on each Register, so that readers never lock.
var (
	registered   atomic.Pointer[Catalog]
	registerLock sync.Mutex
)

// Register adds a pages package's message files (dir inside fsys, usually
// an embed.FS) to the shared catalog. Call it from the package's init: the
// files are compiled in, so a broken file or a key another package already
// defines is a programming error, and Register panics with the reason.
func Register(fsys fs.FS, dir string) {
	registerLock.Lock()
	defer registerLock.Unlock()
	next := New()
	if cur := registered.Load(); cur != nil {
		next = cur.clone()
	}
	if err := next.Add(fsys, dir); err != nil {
		panic("locale: " + err.Error())
	}
	registered.Store(next)
}

// Registered is the shared catalog: every file registered so far.
func Registered() *Catalog {
	if c := registered.Load(); c != nil {
		return c
	}
	return New()
}
