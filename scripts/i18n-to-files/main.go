// Command i18n-to-files moves UI strings written as Go maps
// (var xMessages = map[string]msg{"key": {"Indonesian", "English"}, ...},
// the form internal/web/i18n_<area>.go had) into the message files that
// package locale reads: <area>.id.json and <area>.en.json.
//
//	go run ./scripts/i18n-to-files [-out internal/web/messages] internal/web/i18n_scan.go ...
//
// The area is the file's <area> (i18n_scan.go → scan), or the variable's
// name (coreMessages → core) where a file holds several maps or is not named
// i18n_<area>.go. An existing area file is merged: new keys are appended,
// a changed text replaces the old one, and both are reported. A key that
// another area's file already defines is skipped when its words are the
// same there (a branch's copy of a map whose keys have moved) and stops the
// run, before anything is written, when they differ. Delete the Go map
// (and its gather entry) afterwards.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/garda-id/garda/internal/web/locale"
)

func main() {
	out := flag.String("out", "internal/web/messages", "the folder of message files to write")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/i18n-to-files [-out DIR] FILE.go...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	var sets []set
	for _, f := range flag.Args() {
		s, err := readGoFile(f)
		if err != nil {
			fail(err)
		}
		sets = append(sets, s...)
	}
	if len(sets) == 0 {
		fail(fmt.Errorf("no map[string]msg literal in %s", strings.Join(flag.Args(), ", ")))
	}
	files, report, err := convert(*out, sets)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			fail(err)
		}
	}
	for _, line := range report {
		fmt.Println(line)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "i18n-to-files:", err)
	os.Exit(1)
}

// set is one Go map of messages: its area and its pairs in source order,
// each with a text per language (Indonesian first, as msg{id, en} has it).
type set struct {
	area    string
	entries []pair
}

type pair struct{ key, id, en string }

var areaFile = regexp.MustCompile(`^i18n_([a-z0-9_]+)\.go$`)

// readGoFile finds the map[string]msg literals of a Go file.
func readGoFile(name string) ([]set, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, nil, 0)
	if err != nil {
		return nil, err
	}
	var sets []set
	var vars []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, v := range vs.Values {
				lit, ok := v.(*ast.CompositeLit)
				if !ok || !isMsgMap(lit.Type) {
					continue
				}
				s := set{}
				for _, el := range lit.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						return nil, fmt.Errorf("%s: want \"key\": {...}", fset.Position(el.Pos()))
					}
					key, err := str(kv.Key)
					if err != nil {
						return nil, fmt.Errorf("%s: %w", fset.Position(kv.Pos()), err)
					}
					id, en, err := texts(kv.Value)
					if err != nil {
						return nil, fmt.Errorf("%s: key %q: %w", fset.Position(kv.Pos()), key, err)
					}
					s.entries = append(s.entries, pair{key, id, en})
				}
				sets = append(sets, s)
				vars = append(vars, vs.Names[i].Name)
			}
		}
	}
	m := areaFile.FindStringSubmatch(filepath.Base(name))
	for i := range sets {
		if m != nil && len(sets) == 1 {
			sets[i].area = m[1]
		} else {
			sets[i].area = snake(strings.TrimSuffix(vars[i], "Messages"))
		}
	}
	return sets, nil
}

func isMsgMap(e ast.Expr) bool {
	mt, ok := e.(*ast.MapType)
	if !ok {
		return false
	}
	k, kok := mt.Key.(*ast.Ident)
	v, vok := mt.Value.(*ast.Ident)
	return kok && vok && k.Name == "string" && v.Name == "msg"
}

// texts reads {"Indonesian", "English"} or msg{id: ..., en: ...}.
func texts(e ast.Expr) (id, en string, err error) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok || len(lit.Elts) != 2 {
		return "", "", fmt.Errorf("want {\"Indonesian\", \"English\"}")
	}
	var got [2]string
	for i, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			field, _ := kv.Key.(*ast.Ident)
			switch {
			case field != nil && field.Name == "id":
				i = 0
			case field != nil && field.Name == "en":
				i = 1
			default:
				return "", "", fmt.Errorf("want the fields id and en")
			}
			el = kv.Value
		}
		if got[i], err = str(el); err != nil {
			return "", "", err
		}
	}
	return got[0], got[1], nil
}

// str evaluates a string literal or a + of them.
func str(e ast.Expr) (string, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			return strconv.Unquote(e.Value)
		}
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			a, err := str(e.X)
			if err != nil {
				return "", err
			}
			b, err := str(e.Y)
			return a + b, err
		}
	case *ast.ParenExpr:
		return str(e.X)
	}
	return "", fmt.Errorf("not a string literal")
}

func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// convert merges the sets into the message files of dir, returning the
// files' new contents by name and a line per area saying what changed.
func convert(dir string, sets []set) (map[string][]byte, []string, error) {
	// Which area defines each key today, so that no key lands in two, and
	// its texts there, so that a map holding keys already moved elsewhere
	// (a branch's copy of an old map) converts too.
	owner := map[string]string{}
	words := map[string]string{} // lang + " " + key → text
	existing, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	current := map[string][]locale.Entry{}
	for _, name := range existing {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		entries, err := locale.Parse(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		current[name] = entries
		parts := strings.SplitN(filepath.Base(name), ".", 3)
		for _, e := range entries {
			owner[e.Key] = parts[0]
			if len(parts) == 3 {
				words[parts[1]+" "+e.Key] = e.Text
			}
		}
	}
	files := map[string][]byte{}
	var report []string
	for _, s := range sets {
		added, changed, elsewhere := 0, 0, 0
		for li, lang := range []string{locale.ID, locale.EN} {
			name := filepath.Join(dir, s.area+"."+lang+".json")
			entries := current[name]
			at := map[string]int{}
			for i, e := range entries {
				at[e.Key] = i
			}
			for _, p := range s.entries {
				text := p.id
				if lang == locale.EN {
					text = p.en
				}
				if o, ok := owner[p.key]; ok && o != s.area {
					// Already in another area: the same words are no news;
					// other words are a clash for a person to settle.
					if had := words[lang+" "+p.key]; had != text {
						return nil, nil, fmt.Errorf("key %q of area %s is already defined by area %s with other words (%s: %q, here %q): edit %s by hand or rename the key",
							p.key, s.area, o, lang, had, text, filepath.Join(dir, o+"."+lang+".json"))
					}
					if li == 0 {
						elsewhere++
					}
					continue
				}
				i, ok := at[p.key]
				switch {
				case !ok:
					at[p.key] = len(entries)
					entries = append(entries, locale.Entry{Key: p.key, Text: text})
					if li == 0 {
						added++
					}
				case entries[i].Text != text:
					entries[i].Text = text
					changed++
				}
				owner[p.key] = s.area
			}
			current[name] = entries
			if len(entries) > 0 { // no empty file for a map whose keys all live elsewhere
				files[name] = locale.Format(entries)
			}
		}
		to := "nothing to write"
		if added+changed > 0 {
			to = "→ " + filepath.Join(dir, s.area+".{id,en}.json")
		}
		report = append(report, fmt.Sprintf("%s: %d keys, %d added, %d texts changed, %d already in other areas: %s",
			s.area, len(s.entries), added, changed, elsewhere, to))
	}
	return files, report, nil
}
