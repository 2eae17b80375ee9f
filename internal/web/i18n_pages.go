package web

// pageMessages are the strings of the map, province and report pages.
var pageMessages = map[string]msg{
	"map.title_items":              {"%s — %d aset, %d peringatan dan %d insiden terbuka", "%s — %d assets, %d open alerts and %d open incidents"},
	"map.col_alerts":               {"Peringatan", "Alerts"},
	"map.col_incidents":            {"Insiden", "Incidents"},
	"overview.national_items":      {"Tingkat nasional", "National level"},
	"overview.national_items_hint": {"Insiden dan peringatan terbuka tanpa provinsi (wilayah nasional), yang tidak diwarnai pada peta.", "Open incidents and alerts with no province (national region), which the map does not colour."},
	"place.incidents":              {"Insiden terbuka", "Open incidents"},
	"place.no_incidents":           {"Tidak ada insiden terbuka di sini yang boleh Anda lihat.", "There are no open incidents here that you may see."},
	"place.no_alerts":              {"Tidak ada peringatan terbuka di sini yang boleh Anda lihat.", "There are no open alerts here that you may see."},
	"place.unassigned":             {"belum ditugaskan", "unassigned"},
	"place.latest":                 {"%d terbaru dari %d.", "The latest %d of %d."},
	"place.incident_queue":         {"Antrean insiden", "Incident queue"},
	"place.alert_queue":            {"Antrean peringatan", "Alert queue"},
}
