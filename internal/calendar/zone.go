package calendar

import (
	"maps"
	"slices"
	"time"

	"github.com/garda-id/garda/internal/region"
)

// Indonesia's three zones, fixed offsets: none has had daylight saving
// since 1964, and the machine may lack tzdata.
var (
	WIB  = region.WIB                     // UTC+7: Sumatra, Java, West and Central Kalimantan
	WITA = time.FixedZone("WITA", 8*3600) // UTC+8: Bali, Nusa Tenggara, the rest of Kalimantan, Sulawesi
	WIT  = time.FixedZone("WIT", 9*3600)  // UTC+9: Maluku and Papua
)

// Zones lists the three zones, west to east.
var Zones = []*time.Location{WIB, WITA, WIT}

// provinceZone maps each of the 38 provinces (Kemendagri code) whose zone
// is not WIB. Presidential Decree 41/1987 draws the lines: Kalimantan Barat
// and Tengah are WIB, the other Kalimantan provinces WITA.
var provinceZone = map[string]*time.Location{
	"51": WITA, "52": WITA, "53": WITA, // Bali, NTB, NTT
	"63": WITA, "64": WITA, "65": WITA, // Kalimantan Selatan, Timur, Utara
	"71": WITA, "72": WITA, "73": WITA, "74": WITA, "75": WITA, "76": WITA, // Sulawesi
	"81": WIT, "82": WIT, // Maluku, Maluku Utara
	"91": WIT, "92": WIT, "93": WIT, "94": WIT, "95": WIT, "96": WIT, // the six Papua provinces
}

// ZoneOf returns the time zone of a region: its province's, WIB for the
// national room and for any province not listed above.
func ZoneOf(code string) *time.Location {
	if z, ok := provinceZone[region.Province(code)]; ok {
		return z
	}
	return WIB
}

// ZoneProvinces lists the provinces whose zone is not WIB, in code order
// (SQL that picks a zone's regions by their province reads it).
func ZoneProvinces() []string {
	return slices.Sorted(maps.Keys(provinceZone))
}
