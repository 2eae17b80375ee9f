package web

// incidentWorkMessages are the strings of the incident page's working actions and who may take them.
var incidentWorkMessages = map[string]msg{
	"incident.participant_remove":          {"Keluarkan", "Remove"},
	"incident.ask_escalation":              {"Minta eskalasi", "Ask for escalation"},
	"incident.ask_escalation_hint":         {"Koordinator yang dapat mengeskalasi insiden ini diberi tahu lewat kotak masuknya; eskalasi tetap keputusan mereka. Insiden kabupaten/kota naik ke KPU dan Diskominfo provinsi; insiden provinsi ke BSSN.", "The coordinators who may escalate this incident are told in their inbox; escalating stays their decision. A regency's incident goes to the province's KPU and Diskominfo; a province's to BSSN."},
	"incident.ask_escalation_submit":       {"Kirim permintaan eskalasi", "Send the escalation request"},
	"incident.ok.escalation_requested":     {"Permintaan eskalasi dikirim kepada koordinator yang dapat mengeskalasi insiden ini.", "Escalation request sent to the coordinators who may escalate this incident."},
	"incident.ok.participants_removed":     {"Peserta dikeluarkan dari insiden.", "Participant removed from the incident."},
	"mention.not_told":                     {"Tidak diberi tahu: %s.", "Not told: %s."},
	"mention.not.no_such_user":             {"@%s (tidak ada pengguna dengan nama itu)", "@%s (no user of that name)"},
	"mention.not.disabled":                 {"@%s (akunnya nonaktif)", "@%s (the account is disabled)"},
	"mention.not.cannot_read":              {"@%s (tidak berhak membaca insiden ini; minta koordinator menambahkannya sebagai peserta)", "@%s (may not read this incident; ask a coordinator to add them as a participant)"},
	"ikind.escalation_requested":           {"Eskalasi diminta", "Escalation requested"},
	"ikind.participants_removed":           {"Peserta dikeluarkan", "Participants removed"},
	"nevent.incident.escalation_requested": {"Eskalasi diminta", "Escalation requested"},
	"timeline.escalation_asked":            {"Diminta naik ke: %s", "Asked to go up to: %s"},
	"timeline.orgs_removed":                {"Organisasi dikeluarkan: %s", "Organisations removed: %s"},
	"timeline.users_removed":               {"Pengguna dikeluarkan: %s", "Users removed: %s"},
	"timeline.link":                        {"%s: %s", "%s: %s"},
	"timeline.link_hidden":                 {"Insiden yang ditautkan tidak dapat Anda baca.", "The linked incident is one you may not read."},
	"aact.incident.escalation_request":     {"Eskalasi diminta", "Escalation requested"},
	"aact.incident.participants.remove":    {"Peserta dikeluarkan", "Participants removed"},
}
