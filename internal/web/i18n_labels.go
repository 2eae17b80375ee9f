package web

// labelMessages are the strings of Bahasa labels of domain codes (rule families, clocks, kinds).
var labelMessages = map[string]msg{
	// Sigma rule families (rules.Families): a Sigma alert is named by its
	// family; the rule's own English title is a detail beside it.
	"sfam.sqli":                   {"Injeksi SQL", "SQL injection"},
	"sfam.xss":                    {"Skrip lintas situs (XSS)", "Cross-site scripting (XSS)"},
	"sfam.template-injection":     {"Injeksi templat di sisi server", "Server-side template injection"},
	"sfam.path-traversal":         {"Penjelajahan direktori", "Path traversal"},
	"sfam.webshell":               {"Webshell", "Webshell"},
	"sfam.java-injection":         {"Injeksi Java (Log4j, JNDI)", "Java injection (Log4j, JNDI)"},
	"sfam.auth-bypass":            {"Pembobolan autentikasi", "Authentication bypass"},
	"sfam.disclosure":             {"Kebocoran informasi", "Information disclosure"},
	"sfam.command-execution":      {"Eksekusi perintah jarak jauh", "Remote command execution"},
	"sfam.cryptominer":            {"Penambang kripto", "Crypto miner"},
	"sfam.recon":                  {"Pemindai kerentanan dan pengintaian", "Vulnerability scanning and reconnaissance"},
	"sfam.user-agent":             {"Identitas peramban mencurigakan", "Suspicious user agent"},
	"sfam.c2":                     {"Malware dan server kendali (C2)", "Malware and command-and-control (C2)"},
	"sfam.phishing":               {"Pengelabuan (phishing)", "Phishing"},
	"sfam.suspicious-destination": {"Unduhan atau tujuan mencurigakan", "Suspicious download or destination"},
	"sfam.server-crash":           {"Galat proses server web", "Web server process failure"},
	"sfam.known-exploit":          {"Eksploitasi kerentanan yang dikenal (CVE)", "Known vulnerability exploitation (CVE)"},
	"sfam.other":                  {"Deteksi Sigma lainnya", "Other Sigma detection"},

	// The platform itself, where a page names who did something.
	"actor.system": {"Sistem Garda", "Garda system"},

	// Incident types as the demo and the API write them; a type someone
	// typed that is not here is shown as written.
	"itype.defacement":    {"Perubahan tampilan situs", "Defacement"},
	"itype.phishing":      {"Pengelabuan (phishing)", "Phishing"},
	"itype.ddos":          {"Serangan DDoS", "DDoS"},
	"itype.dos":           {"Serangan DoS", "DoS"},
	"itype.malware":       {"Perangkat lunak berbahaya", "Malware"},
	"itype.ransomware":    {"Ransomware", "Ransomware"},
	"itype.data-leak":     {"Kebocoran data", "Data leak"},
	"itype.data-breach":   {"Pelanggaran data pribadi", "Data breach"},
	"itype.scraping":      {"Pengerukan data (scraping)", "Scraping"},
	"itype.brute-force":   {"Tebak kata sandi (brute force)", "Brute force"},
	"itype.hoax":          {"Hoaks", "Hoax"},
	"itype.impersonation": {"Peniruan identitas", "Impersonation"},
	"itype.scan":          {"Pemindaian", "Scanning"},
	"itype.intel":         {"Informasi intelijen", "Intelligence lead"},

	// Response targets: written in hours or days.
	"tunit.d":      {"hari", "days"},
	"tunit.h":      {"jam", "hours"},
	"tunit.m":      {"menit", "minutes"},
	"targets.unit": {"Satuan", "Unit"},
}
