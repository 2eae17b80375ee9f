package demo

import (
	"context"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/calendar"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/problem"
	"github.com/garda-id/garda/internal/store"
)

// demoSystems are the election systems each of KPU's national assets
// belongs to, as the calendar's phases name them (Sirekap during the
// count, Sipol during party registration, ...): a backup recapitulation
// server is not named Sirekap but is part of it.
var demoSystems = map[string][]string{
	"Sipol":                        {"Sipol"},
	"Silon":                        {"Silon"},
	"Sidalih":                      {"Sidalih"},
	"Sirekap":                      {"Sirekap"},
	"Sirekap API":                  {"Sirekap", "Sirekap API"},
	"Sidakam":                      {"Sidakam"},
	"cekdptonline":                 {"cekdptonline", "Sidalih"},
	"infopemilu":                   {"infopemilu", "situs KPU"},
	"Situs KPU RI":                 {"situs KPU", "infopemilu"},
	"Server rekapitulasi cadangan": {"Sirekap"},
}

// systemsOf gives a demo asset its systems: the national ones above, and
// every provincial and regency KPU site is a "situs KPU".
func systemsOf(name string) []string {
	if s, ok := demoSystems[name]; ok {
		return append([]string(nil), s...)
	}
	if strings.HasPrefix(name, "Situs KPU ") {
		return []string{"situs KPU"}
	}
	return []string{}
}

// seedDrillPhase enters a drill election whose one phase runs from two days
// before the seed to twelve days after, at "siaga": the shipped phases are
// all past, and without one running the demo would show nothing of what a
// phase does (alerts on its systems rising in priority, their scans every
// six hours, the patrol's focus words). Named as a drill, so no one takes
// it for KPU's timetable.
func seedDrillPhase(ctx context.Context, db *store.DB, tree *org.Tree) error {
	who, err := principal(ctx, db, tree, "koordinator.bssn")
	if err != nil {
		return err
	}
	const slug = "gladi-siaga-demo"
	_, err = calendar.CreateElection(ctx, db, who, calendar.NewElection{Slug: slug,
		Name: "Gladi siaga nasional (data demo)", Source: "Data demo Garda, bukan jadwal resmi KPU"})
	if problem.Is(err, problem.Conflict) {
		return nil // seeded before
	}
	if err != nil {
		return err
	}
	today := time.Now().In(calendar.WIB)
	_, err = calendar.AddPhase(ctx, db, who, slug, calendar.Phase{Key: "rekapitulasi-gladi",
		Name:     "Gladi rekapitulasi suara",
		Start:    today.AddDate(0, 0, -2).Format(time.DateOnly),
		End:      today.AddDate(0, 0, 12).Format(time.DateOnly),
		Posture:  calendar.Siaga,
		Critical: []string{"Sirekap", "situs KPU"},
		Focus:    []string{"surat suara", "rekapitulasi", "penggelembungan suara", "Sirekap", "politik uang"}})
	return err
}
