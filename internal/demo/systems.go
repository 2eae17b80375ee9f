package demo

import "strings"

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
