package web

// findingMessages are the strings of the penetration-test findings as the
// shell shows them today (the inbox); the findings pages add theirs here.
var findingMessages = map[string]msg{
	"nevent.finding.deadline_near":   {"Tenggat perbaikan mendekat", "Remediation deadline near"},
	"nevent.finding.deadline_missed": {"Tenggat perbaikan terlewat", "Remediation deadline missed"},
	"fclock.remediation_near":        {"Tenggat perbaikan temuan (3 hari lagi)", "Finding remediation deadline (3 days left)"},
	"fclock.remediation_missed":      {"Tenggat perbaikan temuan", "Finding remediation deadline"},
}
