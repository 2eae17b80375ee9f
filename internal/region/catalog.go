package region

import (
	"cmp"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// The files in data/ are copied unmodified from idn-area-data (ODbL 1.0,
// see data/LICENSE-ODbL.md and NOTICE). Districts and villages are left out:
// nothing in Garda scopes below a regency yet.
//
//go:embed data/provinces.csv data/regencies.csv
var dataFS embed.FS

// Region is one entry of the catalogue. It is a value: copying it is cheap
// and changing a copy changes nothing else.
type Region struct {
	Code     string // Kemendagri code: "" national, "32" province, "32.04" regency/city
	Name     string // display name in title case, e.g. "Kabupaten Aceh Selatan"
	Official string // name as published, e.g. "KABUPATEN ACEH SELATAN"
	Level    string // LevelNational, LevelProvince or LevelRegency
	Parent   string // code of the region one level up; "" for provinces and for the nation
}

// nationalRegion is the region with the empty code, which holds every other.
func nationalRegion() Region {
	return Region{Code: "", Name: "Nasional", Official: "Indonesia", Level: LevelNational}
}

// Catalog is an immutable index of the regions Garda knows. Build one with
// Load or take the shared one from Default; every method is safe for
// concurrent use, and slices it returns are the caller's own copies.
type Catalog struct {
	all    []Region       // sorted by code; national first
	byCode map[string]int // index into all
}

// Default returns the catalogue built from the embedded idn-area-data files.
// It is parsed on first use and shared afterwards.
func Default() *Catalog { return defaultCatalog() }

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := loadEmbedded()
	if err != nil {
		// The data is compiled in and checked by the tests: failing here
		// means the binary was built from a broken tree.
		panic(fmt.Sprintf("region: embedded data: %v", err))
	}
	return c
})

func loadEmbedded() (*Catalog, error) {
	p, err := dataFS.Open("data/provinces.csv")
	if err != nil {
		return nil, err
	}
	defer p.Close()
	r, err := dataFS.Open("data/regencies.csv")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return Load(p, r)
}

// Load builds a catalogue from idn-area-data CSV files: provinces with the
// header "code,name" and regencies with "code,province_code,name". It
// rejects malformed or duplicate codes and regencies whose province is
// missing or does not match their code.
func Load(provinces, regencies io.Reader) (*Catalog, error) {
	c := &Catalog{all: []Region{nationalRegion()}, byCode: map[string]int{}}

	provRows, err := readCSV(provinces, "code", "name")
	if err != nil {
		return nil, fmt.Errorf("read provinces: %w", err)
	}
	for i, row := range provRows {
		code, official := row[0], strings.TrimSpace(row[1])
		if LevelOf(code) != LevelProvince {
			return nil, fmt.Errorf("provinces row %d: code %q is not a province code", i+2, code)
		}
		if official == "" {
			return nil, fmt.Errorf("provinces row %d: province %s has no name", i+2, code)
		}
		c.all = append(c.all, Region{Code: code, Name: displayName(official), Official: official, Level: LevelProvince})
	}

	regRows, err := readCSV(regencies, "code", "province_code", "name")
	if err != nil {
		return nil, fmt.Errorf("read regencies: %w", err)
	}
	for i, row := range regRows {
		code, parent, official := row[0], row[1], strings.TrimSpace(row[2])
		if LevelOf(code) != LevelRegency {
			return nil, fmt.Errorf("regencies row %d: code %q is not a regency code", i+2, code)
		}
		if Parent(code) != parent {
			return nil, fmt.Errorf("regencies row %d: regency %s names province %q", i+2, code, parent)
		}
		if official == "" {
			return nil, fmt.Errorf("regencies row %d: regency %s has no name", i+2, code)
		}
		c.all = append(c.all, Region{Code: code, Name: displayName(official), Official: official, Level: LevelRegency, Parent: parent})
	}

	// Two-digit segments make byte order the same as the hierarchy:
	// "32" < "32.04" < "32.79" < "33".
	slices.SortFunc(c.all, func(a, b Region) int { return cmp.Compare(a.Code, b.Code) })
	for i, r := range c.all {
		if _, dup := c.byCode[r.Code]; dup {
			return nil, fmt.Errorf("duplicate region code %q", r.Code)
		}
		c.byCode[r.Code] = i
	}
	for _, r := range c.all {
		if r.Level == LevelRegency {
			if _, ok := c.byCode[r.Parent]; !ok {
				return nil, fmt.Errorf("regency %s: province %s does not exist", r.Code, r.Parent)
			}
		}
	}
	return c, nil
}

// readCSV reads a whole CSV file, checks its header and returns the rows
// after it.
func readCSV(r io.Reader, header ...string) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(header)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty file")
	}
	if !slices.Equal(rows[0], header) {
		return nil, fmt.Errorf("header is %q, want %q", rows[0], header)
	}
	return rows[1:], nil
}

// All returns every catalogued region sorted by code: the nation, the 38
// provinces and the 514 regencies/cities, each province followed by its
// regencies.
func (c *Catalog) All() []Region {
	return slices.Clone(c.all)
}

// Provinces returns the provinces sorted by code.
func (c *Catalog) Provinces() []Region {
	return c.filter(func(r Region) bool { return r.Level == LevelProvince })
}

// Regencies returns the regencies/cities of the province parent, sorted by
// code; parent "" returns every regency. An unknown parent, or one that is
// not a province, returns nil.
func (c *Catalog) Regencies(parent string) []Region {
	if parent == "" {
		return c.filter(func(r Region) bool { return r.Level == LevelRegency })
	}
	if r, ok := c.Lookup(parent); !ok || r.Level != LevelProvince {
		return nil
	}
	return c.filter(func(r Region) bool { return r.Level == LevelRegency && r.Parent == parent })
}

func (c *Catalog) filter(keep func(Region) bool) []Region {
	var out []Region
	for _, r := range c.all {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Lookup returns the region with the given code. The empty code is the
// nation ("Nasional"). Codes below regency level are not catalogued and
// return false.
func (c *Catalog) Lookup(code string) (Region, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return Region{}, false
	}
	return c.all[i], true
}

// Valid reports whether code names a catalogued region (the nation, a
// province or a regency/city).
func (c *Catalog) Valid(code string) bool {
	_, ok := c.byCode[code]
	return ok
}

// All returns every region of the default catalogue; see Catalog.All.
func All() []Region { return Default().All() }

// Provinces returns the provinces of the default catalogue.
func Provinces() []Region { return Default().Provinces() }

// Regencies returns the regencies of a province in the default catalogue;
// see Catalog.Regencies.
func Regencies(parent string) []Region { return Default().Regencies(parent) }

// Lookup finds a region in the default catalogue; see Catalog.Lookup.
func Lookup(code string) (Region, bool) { return Default().Lookup(code) }

// Valid reports whether code is in the default catalogue.
func Valid(code string) bool { return Default().Valid(code) }
