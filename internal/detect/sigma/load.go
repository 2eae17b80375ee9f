package sigma

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// LoadFS parses every *.yml and *.yaml file under root, in lexical order.
// It returns the rules that parsed and, joined, an error for each file
// that did not (naming the file), so that a caller can refuse to start
// rather than run without a rule it was given.
func LoadFS(fsys fs.FS, root string) ([]*Rule, error) {
	var rules []*Rule
	var errs []error
	walkErr := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		ext := strings.ToLower(path.Ext(p))
		if ext != ".yml" && ext != ".yaml" {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			return nil
		}
		r, err := Parse(data, p)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		rules = append(rules, r)
		return nil
	})
	if walkErr != nil {
		errs = append(errs, walkErr)
	}
	return rules, errors.Join(errs...)
}
