package web

// findingMessages are the strings of the penetration-test findings as the
// shell shows them today (the inbox); the findings pages add theirs here.
var findingMessages = map[string]msg{
	"nevent.finding.deadline_near":   {"Tenggat perbaikan mendekat", "Remediation deadline near"},
	"nevent.finding.deadline_missed": {"Tenggat perbaikan terlewat", "Remediation deadline missed"},
	"fclock.remediation_near":        {"Tenggat perbaikan temuan (3 hari lagi)", "Finding remediation deadline (3 days left)"},
	"fclock.remediation_missed":      {"Tenggat perbaikan temuan", "Finding remediation deadline"},

	"aact.finding.open":              {"Temuan dibuka oleh pemindaian", "Finding opened by a scan"},
	"aact.finding.mitigate":          {"Temuan dinyatakan diperbaiki oleh pemindaian ulang", "Finding verified fixed by a rescan"},
	"aact.finding.reopen":            {"Temuan muncul kembali", "Finding came back"},
	"aact.finding.severity":          {"Tingkat keparahan temuan berubah", "Finding severity changed"},
	"aact.finding.false_positive":    {"Temuan dinyatakan positif palsu", "Finding ruled a false positive"},
	"aact.finding.risk_accepted":     {"Risiko temuan diterima", "Finding risk accepted"},
	"aact.finding.risk_expired":      {"Penerimaan risiko berakhir", "Risk acceptance expired"},
	"aact.finding.reopen_by_hand":    {"Temuan dibuka kembali", "Finding reopened by hand"},
	"aact.finding.promote":           {"Temuan dijadikan insiden", "Finding promoted to an incident"},
	"aact.scan_authorization.give":   {"Izin uji penetrasi diberikan", "Scan authorisation given"},
	"aact.scan_authorization.revoke": {"Izin uji penetrasi dicabut", "Scan authorisation revoked"},
	"aact.scan.refuse":               {"Pemindaian ditolak", "Scan refused"},
	"aact.scan.begin":                {"Pemindaian dimulai", "Scan started"},
	"aact.scan.finish":               {"Pemindaian selesai", "Scan finished"},
	"akind.finding":                  {"Temuan", "Finding"},
	"akind.scan":                     {"Pemindaian", "Scan"},
	"akind.scan_authorization":       {"Izin uji penetrasi", "Scan authorisation"},
}
