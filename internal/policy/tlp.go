package policy

import (
	"fmt"
	"slices"
	"strings"
)

// TLP is a Traffic Light Protocol 2.0 label. The canonical values are the
// constants below; they are also the values stored in the tlp column of every
// record table.
type TLP string

// The five TLP 2.0 labels.
const (
	Clear       TLP = "CLEAR"
	Green       TLP = "GREEN"
	Amber       TLP = "AMBER"
	AmberStrict TLP = "AMBER+STRICT"
	Red         TLP = "RED"
)

// TLPs returns the five labels, from least to most restrictive.
func TLPs() []TLP { return []TLP{Clear, Green, Amber, AmberStrict, Red} }

// Valid reports whether t is one of the five canonical labels. Anything else,
// including a label in lower case, is not valid and is never readable.
func (t TLP) Valid() bool {
	switch t {
	case Clear, Green, Amber, AmberStrict, Red:
		return true
	}
	return false
}

// ParseTLP parses a TLP label case-insensitively, with or without the
// "TLP:" prefix and surrounding spaces: "amber+strict", "TLP:RED" and
// " Green " are accepted. It returns the canonical label. The TLP 1.0 label
// WHITE is not accepted; TLP 2.0 renamed it CLEAR, and an importer that meets
// it must map it deliberately.
func ParseTLP(s string) (TLP, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	u = strings.TrimSpace(strings.TrimPrefix(u, "TLP:"))
	if t := TLP(u); t.Valid() {
		return t, nil
	}
	return "", fmt.Errorf("policy: unknown TLP label %q", s)
}

// Stricter reports whether t restricts readers more than u
// (CLEAR < GREEN < AMBER < AMBER+STRICT < RED).
func (t TLP) Stricter(u TLP) bool {
	return slices.Index(TLPs(), t) > slices.Index(TLPs(), u)
}
