package intel

import (
	"fmt"

	"github.com/garda-id/garda/internal/policy"
)

// The TLP 2.0 marking-definitions are not in the STIX 2.1 core: OASIS
// publishes them as a property extension, extension-definition
// 60a3c5c5-0d10-413e-aab3-9e08dde9e88d, with fixed ids and a fixed created
// time (oasis-open/cti-stix-common-objects,
// extension-definition-specifications/tlp-2.0). Partners recognise a marking
// by its id, so these must be exactly the published ones.
const (
	tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	tlp2Created   = "2022-10-01T00:00:00.000Z"
)

var tlpMarkingIDs = map[policy.TLP]string{
	policy.Clear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	policy.Green:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	policy.Amber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	policy.AmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	policy.Red:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// TLP 1.0's WHITE, still sent by older tools; it reads as CLEAR. The other
// TLP 1.0 markings of the STIX 2.1 core map to their 2.0 namesakes.
var tlp1Markings = map[string]policy.TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": policy.Clear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": policy.Green,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": policy.Amber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": policy.Red,
}

// MarkingDefinition is a TLP 2.0 marking as OASIS publishes it.
type MarkingDefinition struct {
	Type        string                    `json:"type"`
	SpecVersion string                    `json:"spec_version"`
	ID          string                    `json:"id"`
	Created     string                    `json:"created"`
	Name        string                    `json:"name"`
	Extensions  map[string]map[string]any `json:"extensions"`
}

// Core lets a marking sit in a bundle.
func (m *MarkingDefinition) Core() *Common {
	return &Common{Type: m.Type, ID: m.ID, SpecVersion: m.SpecVersion, Created: m.Created}
}

// MarkingID is the standard id of a TLP 2.0 label's marking-definition.
func MarkingID(t policy.TLP) string { return tlpMarkingIDs[t] }

// Marking is the marking-definition of a TLP 2.0 label.
func Marking(t policy.TLP) (*MarkingDefinition, error) {
	id, ok := tlpMarkingIDs[t]
	if !ok {
		return nil, fmt.Errorf("intel: no marking for TLP %q", t)
	}
	return &MarkingDefinition{
		Type: "marking-definition", SpecVersion: SpecVersion, ID: id, Created: tlp2Created, Name: "TLP:" + string(t),
		Extensions: map[string]map[string]any{tlp2Extension: {"extension_type": "property-extension", "tlp_2_0": lowerTLP(t)}},
	}, nil
}

func lowerTLP(t policy.TLP) string {
	b := []byte(t)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TLPOfMarkings is the strictest TLP among marking refs (TLP 2.0 ids, or
// TLP 1.0 ids mapped to their 2.0 namesakes); ok is false when none is a TLP
// marking. Other markings (statements) do not change it.
func TLPOfMarkings(refs []string) (t policy.TLP, ok bool) {
	for _, r := range refs {
		var got policy.TLP
		for label, id := range tlpMarkingIDs {
			if id == r {
				got = label
			}
		}
		if got == "" {
			got = tlp1Markings[r]
		}
		if got != "" && (!ok || got.Stricter(t)) {
			t, ok = got, true
		}
	}
	return t, ok
}
