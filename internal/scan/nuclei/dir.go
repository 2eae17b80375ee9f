package nuclei

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/garda-id/garda/internal/scan"
)

// Loaded is one template file as LoadDir read it: the template, or why it
// could not be (an *UnsupportedError or *ProtocolError naming the feature,
// or the parse error).
type Loaded struct {
	Path     string
	ID       string // from the file, even when it did not load
	Template *Template
	Err      error
}

// LoadDir loads every .yaml/.yml file under dir, in lexical order.
func LoadDir(dir string) ([]Loaded, error) {
	return loadFS(os.DirFS(dir), dir)
}

func loadFS(fsys fs.FS, prefix string) ([]Loaded, error) {
	var out []Loaded
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(p))
		if ext != ".yaml" && ext != ".yml" {
			return nil
		}
		display := filepath.Join(prefix, filepath.FromSlash(p))
		l := Loaded{Path: display}
		data, err := fs.ReadFile(fsys, p)
		switch {
		case err != nil:
			l.Err = err
		case len(data) > maxTemplateSize:
			l.Err = fmt.Errorf("larger than %d bytes", maxTemplateSize)
		default:
			l.ID = peekID(data)
			l.Template, l.Err = Parse(data, display)
			if l.Template != nil {
				l.ID = l.Template.ID()
			}
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read templates under %s: %w", prefix, err)
	}
	return out, nil
}

// peekID reads a file's id without loading it, for the report of a
// template that does not load.
func peekID(data []byte) string {
	var doc struct {
		ID string `yaml:"id"`
	}
	if yaml.Unmarshal(data, &doc) != nil {
		return ""
	}
	return doc.ID
}

// Checks is the nuclei engine's source of checks: the templates under dir,
// or the shipped set when dir is "". Templates that do not load are left
// out (`garda scan validate DIR` names each and why); a folder that cannot
// be read, or in which nothing loads, is an error.
func Checks(dir string) ([]scan.Check, error) {
	var loaded []Loaded
	var err error
	if dir == "" {
		loaded, err = loadFS(builtinFS(), "builtin")
	} else {
		loaded, err = LoadDir(dir)
	}
	if err != nil {
		return nil, err
	}
	var out []scan.Check
	seen := map[string]string{}
	for _, l := range loaded {
		if l.Template == nil {
			continue
		}
		if other, dup := seen[l.ID]; dup {
			return nil, fmt.Errorf("template id %q in both %s and %s", l.ID, other, l.Path)
		}
		seen[l.ID] = l.Path
		out = append(out, l.Template)
	}
	if len(out) == 0 {
		if dir == "" {
			return nil, fmt.Errorf("no shipped template loads")
		}
		return nil, fmt.Errorf("no template under %s loads (garda scan validate %s says why)", dir, dir)
	}
	return out, nil
}
