package web

import (
	"fmt"
	"net/http"
)

// The UI speaks Bahasa Indonesia unless the person switched to English;
// the choice lives in a cookie so that it holds before signing in too.
const (
	langCookie = "garda_lang"
	langID     = "id"
	langEN     = "en"
)

// langOf reads the language a request asked for.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == langEN {
		return langEN
	}
	return langID
}

// msg is one UI string in both languages.
type msg struct{ id, en string }

// translate looks a key up; a missing key shows itself in double brackets
// so that a test (and a person) notices at once.
func translate(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return "[[" + key + "]]"
	}
	s := m.id
	if lang == langEN {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// messages is every string the UI shows. The glossary's Indonesian terms
// (Provinsi, Kabupaten/Kota, Ruang operasi, ...) are used in the Indonesian
// column. Keys are grouped by page; enumerations are "group.value" so that
// pages can label domain values (roles, kinds, phases) with L.
var messages = map[string]msg{
	// Shell
	"app.tagline":      {"Gugus Tugas Keamanan Siber Pemilu", "Election Cyber Security Task Force"},
	"skip":             {"Langsung ke isi", "Skip to content"},
	"nav.label":        {"Navigasi utama", "Main navigation"},
	"nav.overview":     {"Ikhtisar", "Overview"},
	"nav.pillars":      {"Pilar", "Pillars"},
	"nav.surveillance": {"Pemantauan", "Surveillance"},
	"nav.incidents":    {"Insiden", "Incidents"},
	"nav.pentest":      {"Uji Penetrasi", "Penetration testing"},
	"nav.intel":        {"Intelijen Ancaman", "Threat intelligence"},
	"nav.patrol":       {"Patroli Siber", "Cyber patrol"},
	"nav.oprooms":      {"Ruang Operasi", "Operation rooms"},
	"nav.inventory":    {"Inventaris", "Inventory"},
	"nav.assets":       {"Aset", "Assets"},
	"nav.admin":        {"Administrasi", "Administration"},
	"nav.orgs":         {"Organisasi", "Organisations"},
	"nav.users":        {"Pengguna", "Users"},
	"nav.audit":        {"Audit", "Audit"},
	"nav.soon":         {"segera", "soon"},
	"nav.signout":      {"Keluar", "Sign out"},
	"who.label":        {"Akun Anda", "Your account"},
	"lang.label":       {"Bahasa", "Language"},
	"lang.id":          {"Bahasa Indonesia", "Bahasa Indonesia"},
	"lang.en":          {"English", "English"},
	"footer.wib":       {"Waktu ditampilkan dalam WIB (UTC+7).", "Times are shown in WIB (UTC+7)."},
	"common.none":      {"—", "—"},
	"common.back":      {"Kembali", "Back"},

	// Sign-in
	"login.title":       {"Masuk", "Sign in"},
	"login.heading":     {"Masuk ke Garda", "Sign in to Garda"},
	"login.lead":        {"Platform operasi gugus tugas keamanan siber pemilu: KPU bersama BSSN, Komdigi, Polri, BIN, BRIN dan ruang operasi di 38 provinsi.", "Operations platform of the election cyber security task force: KPU with BSSN, Komdigi, Polri, BIN, BRIN and an operation room in each of 38 provinces."},
	"login.username":    {"Nama pengguna", "Username"},
	"login.password":    {"Kata sandi", "Password"},
	"login.submit":      {"Masuk", "Sign in"},
	"login.err_bad":     {"Nama pengguna atau kata sandi salah.", "Wrong username or password."},
	"login.err_locked":  {"Terlalu banyak percobaan masuk yang gagal. Akun dan alamat ini dikunci sementara, paling lama %d menit.", "Too many failed sign-ins. This account and address are locked for at most %d minutes."},
	"login.err_missing": {"Isi nama pengguna dan kata sandi.", "Enter your username and password."},
	"login.notice":      {"Hanya untuk personel gugus tugas yang berwenang. Setiap perubahan tercatat di jejak audit.", "For authorised task-force personnel only. Every change is recorded in the audit trail."},

	// Roles
	"role.admin":       {"Administrator", "Administrator"},
	"role.coordinator": {"Koordinator", "Coordinator"},
	"role.analyst":     {"Analis", "Analyst"},
	"role.responder":   {"Penanggap", "Responder"},
	"role.operator":    {"Operator", "Operator"},
	"role.viewer":      {"Peninjau", "Viewer"},
	"role.liaison":     {"Penghubung", "Liaison"},

	// Map levels and criticalities
	"level.none":    {"Tidak ada", "None"},
	"level.low":     {"Rendah", "Low"},
	"level.medium":  {"Sedang", "Medium"},
	"level.high":    {"Tinggi", "High"},
	"legend.none":   {"Tidak ada (0)", "None (0)"},
	"legend.low":    {"Rendah (1–2)", "Low (1–2)"},
	"legend.medium": {"Sedang (3–9)", "Medium (3–9)"},
	"legend.high":   {"Tinggi (10+)", "High (10+)"},
	"legend.own":    {"Provinsi Anda", "Your province"},

	"crit.low":      {"Rendah", "Low"},
	"crit.medium":   {"Sedang", "Medium"},
	"crit.high":     {"Tinggi", "High"},
	"crit.critical": {"Kritis", "Critical"},

	"kind.web_app": {"Aplikasi web", "Web application"},
	"kind.api":     {"API", "API"},
	"kind.site":    {"Situs web", "Website"},
	"kind.server":  {"Server", "Server"},

	"phase.planning":           {"Perencanaan", "Planning"},
	"phase.voter-registration": {"Pemutakhiran data pemilih", "Voter registration"},
	"phase.party-registration": {"Pendaftaran partai", "Party registration"},
	"phase.candidacy":          {"Pencalonan", "Candidacy"},
	"phase.campaign":           {"Kampanye", "Campaign"},
	"phase.voting":             {"Pemungutan suara", "Voting"},
	"phase.counting":           {"Penghitungan suara", "Counting"},
	"phase.recapitulation":     {"Rekapitulasi", "Recapitulation"},
	"phase.results":            {"Penetapan hasil", "Results"},
	"phase.dispute":            {"Sengketa hasil", "Disputes"},

	"orgkind.kpu":        {"KPU", "KPU"},
	"orgkind.agency":     {"Lembaga", "Agency"},
	"orgkind.diskominfo": {"Diskominfo", "Diskominfo"},
	"orgkind.other":      {"Lainnya", "Other"},

	"tlp.CLEAR":        {"Semua pengguna yang masuk", "Every signed-in user"},
	"tlp.GREEN":        {"Seluruh komunitas gugus tugas", "The whole task-force community"},
	"tlp.AMBER":        {"Organisasi pemilik dan peserta, beserta induknya", "Owner and participant organisations and their parents"},
	"tlp.AMBER+STRICT": {"Hanya organisasi pemilik dan peserta", "Owner and participant organisations only"},
	"tlp.RED":          {"Hanya pengguna yang disebut namanya", "Named users only"},

	"region.national":       {"Nasional", "National"},
	"region.province_level": {"%s (tingkat provinsi)", "%s (province level)"},
	"region.province":       {"Provinsi", "Province"},
	"region.regency":        {"Kabupaten/Kota", "Regency/city"},

	// Table columns
	"col.code":        {"Kode", "Code"},
	"col.province":    {"Provinsi", "Province"},
	"col.regency":     {"Kabupaten/Kota", "Regency/city"},
	"col.assets":      {"Aset", "Assets"},
	"col.open":        {"Terbuka", "Open"},
	"col.level":       {"Tingkat", "Level"},
	"col.name":        {"Nama", "Name"},
	"col.kind":        {"Jenis", "Kind"},
	"col.owner":       {"Pemilik", "Owner"},
	"col.region":      {"Wilayah", "Region"},
	"col.criticality": {"Kekritisan", "Criticality"},
	"col.tlp":         {"TLP", "TLP"},
	"col.updated":     {"Diperbarui", "Updated"},
	"col.username":    {"Nama pengguna", "Username"},
	"col.org":         {"Organisasi", "Organisation"},
	"col.role":        {"Peran", "Role"},
	"col.scope":       {"Cakupan", "Scope"},
	"col.status":      {"Status", "Status"},
	"col.seq":         {"No.", "No."},
	"col.time":        {"Waktu", "Time"},
	"col.actor":       {"Pelaku", "Actor"},
	"col.action":      {"Tindakan", "Action"},
	"col.record":      {"Catatan", "Record"},
	"col.hash":        {"Hash", "Hash"},
	"col.slug":        {"Slug", "Slug"},

	// National overview
	"overview.title":          {"Ikhtisar Nasional", "National overview"},
	"overview.you":            {"Anda masuk sebagai %s di %s, dengan cakupan %s.", "You are signed in as %s at %s, with scope %s."},
	"overview.map_label":      {"Peta 38 provinsi Indonesia, diwarnai menurut jumlah item terbuka di tiap provinsi", "Map of Indonesia's 38 provinces, coloured by the open items in each province"},
	"overview.map_hint":       {"Pilih provinsi pada peta atau tabel untuk melihat rinciannya.", "Choose a province on the map or in the table for its details."},
	"overview.stat_assets":    {"Aset yang Anda lihat", "Assets you can see"},
	"overview.stat_national":  {"Aset tingkat nasional", "National-level assets"},
	"overview.stat_provinces": {"Provinsi dengan aset", "Provinces with assets"},
	"overview.stat_open":      {"Item terbuka", "Open items"},
	"overview.open_note":      {"Item terbuka berasal dari pilar Pemantauan dan Insiden, yang belum tersedia. Karena itu semua provinsi kini berwarna \"tidak ada\"; jumlah aset yang dipantau tercantum di tabel.", "Open items come from the Surveillance and Incidents pillars, which are not available yet, so every province is coloured \"none\" for now; the watched assets are counted in the table."},
	"overview.legend":         {"Item terbuka", "Open items"},
	"overview.table_caption":  {"Provinsi, aset yang dipantau dan item terbuka", "Provinces, watched assets and open items"},
	"map.title":               {"%s — %d aset, %d item terbuka", "%s — %d assets, %d open items"},

	// Province
	"province.eyebrow":       {"Provinsi · kode Kemendagri %s", "Province · Kemendagri code %s"},
	"province.map_label":     {"Peta Provinsi %s dan sekitarnya", "Map of %s province and its surroundings"},
	"province.regencies":     {"Kabupaten/Kota (%d)", "Regencies and cities (%d)"},
	"province.assets":        {"Aset di provinsi ini", "Assets in this province"},
	"province.no_assets":     {"Tidak ada aset di provinsi ini yang boleh Anda lihat.", "There are no assets in this province that you may see."},
	"province.more":          {"Lihat semua aset di %s", "See all assets in %s"},
	"province.orgs":          {"Organisasi", "Organisations"},
	"province.kpu_regencies": {"%d KPU Kabupaten/Kota", "%d regency/city KPU offices"},
	"province.oproom":        {"Ruang operasi provinsi", "Provincial operation room"},
	"province.oproom_soon":   {"Laporan dan log sif ruang operasi akan tampil di sini setelah pilar Ruang Operasi tersedia.", "The operation room's reports and shift log will appear here once the Operation rooms pillar is available."},
	"province.back":          {"← Ikhtisar nasional", "← National overview"},
	"province.stat_assets":   {"Aset terlihat", "Visible assets"},
	"province.stat_open":     {"Item terbuka", "Open items"},
	"province.yours":         {"Provinsi dalam cakupan Anda", "A province in your scope"},

	// Assets
	"assets.title":      {"Aset", "Assets"},
	"assets.lead":       {"Inventaris sistem pemilu yang dipantau: aplikasi, situs, API dan server KPU beserta pemilik, wilayah dan kekritisannya.", "The inventory of watched election systems: KPU's applications, sites, APIs and servers with their owner, region and criticality."},
	"assets.new":        {"Tambah aset", "Add asset"},
	"assets.none":       {"Tidak ada aset yang cocok dengan saringan ini.", "No assets match these filters."},
	"assets.shown":      {"%d aset ditampilkan", "%d assets shown"},
	"filter.region":     {"Wilayah", "Region"},
	"filter.all":        {"Semua", "All"},
	"filter.kind":       {"Jenis", "Kind"},
	"filter.crit":       {"Kekritisan", "Criticality"},
	"filter.q":          {"Cari", "Search"},
	"filter.q_hint":     {"Nama atau nama host", "Name or hostname"},
	"filter.apply":      {"Terapkan", "Apply"},
	"filter.reset":      {"Atur ulang", "Reset"},
	"filter.label":      {"Saring aset", "Filter assets"},
	"pager.next":        {"Halaman berikutnya →", "Next page →"},
	"pager.first":       {"← Halaman pertama", "← First page"},
	"asset.eyebrow":     {"Aset · %s", "Asset · %s"},
	"asset.description": {"Keterangan", "Description"},
	"asset.urls":        {"URL", "URLs"},
	"asset.hostnames":   {"Nama host", "Hostnames"},
	"asset.phases":      {"Tahapan pemilu", "Election phases"},
	"asset.owner":       {"Pemilik", "Owner"},
	"asset.region":      {"Wilayah", "Region"},
	"asset.crit":        {"Kekritisan", "Criticality"},
	"asset.tlp":         {"TLP", "TLP"},
	"asset.kind":        {"Jenis", "Kind"},
	"asset.created":     {"Dibuat", "Created"},
	"asset.updated":     {"Diperbarui", "Updated"},
	"asset.edit":        {"Ubah", "Edit"},
	"asset.history":     {"Riwayat di jejak audit", "History in the audit trail"},
	"asset.back":        {"← Semua aset", "← All assets"},
	"asset.created_ok":  {"Aset \"%s\" disimpan.", "Asset \"%s\" saved."},

	// Forms
	"form.new_asset":      {"Aset baru", "New asset"},
	"form.edit_asset":     {"Ubah aset", "Edit asset"},
	"form.name":           {"Nama", "Name"},
	"form.kind":           {"Jenis", "Kind"},
	"form.description":    {"Keterangan", "Description"},
	"form.urls":           {"URL", "URLs"},
	"form.urls_hint":      {"Satu URL http(s) per baris, paling banyak 20.", "One http(s) URL per line, at most 20."},
	"form.hostnames":      {"Nama host", "Hostnames"},
	"form.hostnames_hint": {"Satu nama host atau alamat IP per baris, paling banyak 20.", "One hostname or IP address per line, at most 20."},
	"form.owner":          {"Pemilik", "Owner"},
	"form.owner_hint":     {"Organisasi Anda atau organisasi di bawahnya.", "Your organisation or one below it."},
	"form.region":         {"Wilayah", "Region"},
	"form.region_hint":    {"Wilayah tempat sistem ini berperan; harus di dalam cakupan Anda.", "The region the system serves; it must lie inside your scope."},
	"form.crit":           {"Kekritisan", "Criticality"},
	"form.phases":         {"Tahapan pemilu", "Election phases"},
	"form.phases_hint":    {"Tahapan ketika sistem ini penting.", "The phases in which this system matters."},
	"form.tlp":            {"Label TLP", "TLP label"},
	"form.tlp_hint":       {"Menentukan siapa yang boleh membaca catatan ini.", "Decides who may read this record."},
	"form.save":           {"Simpan", "Save"},
	"form.cancel":         {"Batal", "Cancel"},
	"form.invalid":        {"Periksa isian yang ditandai.", "Check the marked fields."},
	"form.required":       {"wajib", "required"},
	"form.create":         {"Tambah", "Add"},

	// Pillars that are not built yet
	"pillar.soon":      {"Belum tersedia", "Not yet available"},
	"pillar.what":      {"Apa yang akan dikerjakan pilar ini", "What this pillar will do"},
	"pillar.no_data":   {"Pilar ini belum dibangun, jadi halaman ini sengaja tidak menampilkan data apa pun — juga bukan data contoh.", "This pillar is not built yet, so this page deliberately shows no data at all — not even sample data."},
	"pillar.meanwhile": {"Sementara itu, daftarkan sistem yang perlu dilindungi di halaman Aset: pilar ini akan memakai inventaris tersebut.", "Meanwhile, register the systems to protect under Assets: this pillar will build on that inventory."},

	"pillar.surveillance.lead": {"Pemantauan 24 jam atas sistem KPU: log, hasil pemindaian dan umpan ancaman dialirkan ke mesin deteksi dan menjadi peringatan yang dapat ditindaklanjuti.", "Round-the-clock surveillance of KPU's systems: logs, scan results and threat feeds flow into detection and become alerts people can act on."},
	"pillar.surveillance.b1":   {"Peringatan dari aturan Sigma dan OWASP Core Rule Set", "Alerts from Sigma rules and the OWASP Core Rule Set"},
	"pillar.surveillance.b2":   {"Keputusan blokir yang dijalankan bouncer CrowdSec", "Blocking decisions enforced by CrowdSec bouncers"},
	"pillar.surveillance.b3":   {"Pembaruan langsung tanpa memuat ulang halaman", "Live updates without reloading the page"},

	"pillar.incidents.lead": {"Penanganan insiden oleh CSIRT: triase, investigasi, eskalasi dan pelaporan, dengan peserta dan label TLP di setiap catatan.", "Incident handling by the CSIRT: triage, investigation, escalation and reporting, with participants and a TLP label on every record."},
	"pillar.incidents.b1":   {"Taksonomi RSIT dan label TLP 2.0", "RSIT taxonomy and TLP 2.0 labels"},
	"pillar.incidents.b2":   {"Tenggat pelaporan 1x24 jam (BSSN) dan 3x24 jam (UU PDP pasal 46)", "Reporting deadlines of 1x24 hours (BSSN) and 3x24 hours (UU PDP art. 46)"},
	"pillar.incidents.b3":   {"Tugas untuk penanggap dan bukti dengan rantai penguasaan untuk Polri", "Tasks for responders and evidence with a chain of custody for the police"},

	"pillar.pentest.lead": {"Uji penetrasi harian bersama atas situs dan aplikasi KPU: temuan, tingkat keparahan dan tenggat perbaikannya.", "Daily joint penetration tests of KPU's sites and applications: findings, their severity and remediation deadlines."},
	"pillar.pentest.b1":   {"Impor hasil nuclei (JSONL) dan nmap (XML)", "Import of nuclei (JSONL) and nmap (XML) results"},
	"pillar.pentest.b2":   {"Tenggat perbaikan: kritis 15 hari, tinggi 30 hari", "Remediation deadlines: critical 15 days, high 30 days"},
	"pillar.pentest.b3":   {"Ekspor temuan dalam SARIF dan JSON", "Export of findings as SARIF and JSON"},

	"pillar.intel.lead": {"Berbagi intelijen ancaman antarlembaga dengan penanda TLP 2.0, sehingga setiap lembaga tahu apa yang boleh diteruskan.", "Threat intelligence shared between agencies with TLP 2.0 markings, so each knows what it may pass on."},
	"pillar.intel.b1":   {"Indikator dan laporan STIX 2.1 melalui TAXII 2.1", "STIX 2.1 indicators and reports over TAXII 2.1"},
	"pillar.intel.b2":   {"Umpan dalam format MISP", "Feeds in the MISP format"},
	"pillar.intel.b3":   {"Materi RED hanya untuk pengguna yang disebut namanya", "RED material for named users only"},

	"pillar.patrol.lead": {"Patroli siber 24 jam dalam tiga sif: hoaks, konten negatif dan kebocoran data pribadi di internet, serta permintaan takedown ke platform.", "A 24-hour cyber patrol in three shifts: hoaxes, negative content and leaked personal data online, and takedown requests to platforms."},
	"pillar.patrol.b1":   {"Permintaan takedown dengan tenggat 4 jam (mendesak) dan 24 jam", "Takedown requests with 4-hour (urgent) and 24-hour deadlines"},
	"pillar.patrol.b2":   {"Cek fakta dalam format ClaimReview", "Fact checks in the ClaimReview format"},
	"pillar.patrol.b3":   {"Log sif patroli dan serah terima antarsif", "Patrol shift log and hand-over between shifts"},

	"pillar.oprooms.lead": {"Ruang operasi di 38 provinsi (Diskominfo bersama KPU Provinsi): deteksi dini di wilayahnya, laporan ke BSSN dan log sif.", "Operation rooms in 38 provinces (Diskominfo with KPU Provinsi): early detection in their region, reports to BSSN and a shift log."},
	"pillar.oprooms.b1":   {"Laporan berkala dari provinsi ke BSSN", "Regular reports from the provinces to BSSN"},
	"pillar.oprooms.b2":   {"Log sif operator ruang operasi", "The operators' shift log"},
	"pillar.oprooms.b3":   {"Ikhtisar wilayah per provinsi dan kabupaten/kota", "A regional picture per province and regency"},

	// Administration
	"orgs.title":       {"Organisasi", "Organisations"},
	"orgs.lead":        {"Pohon organisasi gugus tugas: badan nasional, lalu per provinsi KPU Provinsi, Diskominfo dan KPU Kabupaten/Kota.", "The task force's organisation tree: national bodies, then per province its KPU Provinsi, Diskominfo and regency/city KPU offices."},
	"orgs.total":       {"%d organisasi", "%d organisations"},
	"orgs.national":    {"Badan nasional", "National bodies"},
	"orgs.by_province": {"Per provinsi", "By province"},
	"orgs.kpu_kab":     {"KPU Kabupaten/Kota", "Regency/city KPU"},
	"orgs.offices":     {"%d kantor", "%d offices"},
	"orgs.others":      {"Organisasi lain", "Other organisations"},
	"orgs.kpu_prov":    {"KPU Provinsi", "Provincial KPU"},
	"orgs.none":        {"Belum ada", "None yet"},
	"orgs.new":         {"Tambah organisasi", "Add organisation"},
	"orgs.slug_hint":   {"Huruf kecil, angka dan tanda hubung; boleh diakhiri kode wilayah, misalnya kpu-32.04.", "Lower-case letters, digits and dashes; may end in a region code, e.g. kpu-32.04."},
	"orgs.name":        {"Nama", "Name"},
	"orgs.kind":        {"Jenis", "Kind"},
	"orgs.parent":      {"Induk", "Parent"},
	"orgs.no_parent":   {"— tanpa induk —", "— no parent —"},
	"orgs.region":      {"Wilayah asal", "Home region"},
	"orgs.created":     {"Organisasi %s ditambahkan.", "Organisation %s added."},
	"orgs.children":    {"Di bawahnya", "Below it"},

	"users.title":         {"Pengguna", "Users"},
	"users.lead":          {"Akun dengan cakupan di dalam cakupan Anda (%s).", "Accounts whose scope lies inside yours (%s)."},
	"users.active":        {"Aktif", "Active"},
	"users.disabled":      {"Nonaktif sejak %s", "Disabled since %s"},
	"users.disable":       {"Nonaktifkan", "Disable"},
	"users.confirm":       {"Nonaktifkan akun %s? Sesi dan token-nya langsung berhenti.", "Disable the account %s? Its sessions and tokens stop at once."},
	"users.you":           {"Anda", "You"},
	"users.new":           {"Tambah pengguna", "Add user"},
	"users.display":       {"Nama tampilan", "Display name"},
	"users.email":         {"Surel", "Email"},
	"users.password":      {"Kata sandi awal", "Initial password"},
	"users.password_hint": {"Paling sedikit %d karakter. Sampaikan lewat saluran terpisah.", "At least %d characters. Hand it over through a separate channel."},
	"users.scope_hint":    {"Wilayah yang boleh dilihat akun ini; harus di dalam wilayah organisasinya.", "The region this account may see; it must lie inside its organisation's region."},
	"users.created":       {"Pengguna %s ditambahkan.", "User %s added."},
	"users.disabled_ok":   {"Akun %s dinonaktifkan.", "Account %s disabled."},
	"users.none":          {"Tidak ada pengguna.", "No users."},

	"audit.title":         {"Jejak Audit", "Audit trail"},
	"audit.lead":          {"Setiap perubahan tercatat di sini, terbaru di atas. Setiap entri memuat hash entri sebelumnya, sehingga perubahan diam-diam memutus rantai.", "Every change is recorded here, newest first. Each entry carries the hash of the one before, so a silent change breaks the chain."},
	"audit.intact":        {"Rantai utuh: %d entri diperiksa.", "Chain intact: %d entries checked."},
	"audit.broken":        {"Rantai rusak pada entri %d: %s", "Chain broken at entry %d: %s"},
	"audit.verify_failed": {"Rantai tidak dapat diperiksa; galat sudah dicatat.", "The chain could not be checked; the error has been logged."},
	"audit.none":          {"Tidak ada entri.", "No entries."},
	"audit.filter_kind":   {"Jenis catatan", "Record kind"},
	"audit.filter_record": {"ID catatan", "Record id"},
	"audit.filter_actor":  {"Pelaku", "Actor"},
	"audit.filter_label":  {"Saring jejak audit", "Filter the audit trail"},

	// Errors
	"error.code":                     {"Kode galat: %s", "Error code: %s"},
	"error.home":                     {"Kembali ke ikhtisar", "Back to the overview"},
	"error.not_found.title":          {"Tidak ditemukan", "Not found"},
	"error.not_found.body":           {"Halaman atau catatan ini tidak ada, atau tidak boleh Anda lihat.", "This page or record does not exist, or you may not see it."},
	"error.forbidden.title":          {"Akses ditolak", "Access denied"},
	"error.forbidden.body":           {"Peran Anda tidak mengizinkan halaman atau tindakan ini.", "Your role does not allow this page or action."},
	"error.csrf_failed.title":        {"Formulir tidak sah", "Form not accepted"},
	"error.csrf_failed.body":         {"Formulir ini tidak membawa token keamanan yang sah, mungkin karena sesinya sudah berganti. Muat ulang halaman lalu coba lagi.", "This form did not carry a valid security token, perhaps because the session changed. Reload the page and try again."},
	"error.internal.title":           {"Terjadi galat di server", "Something went wrong on the server"},
	"error.internal.body":            {"Galat ini sudah dicatat. Coba lagi sebentar lagi; jika berulang, hubungi dukungan dan sebutkan kode di bawah.", "The error has been logged. Try again shortly; if it happens again, contact support and quote the code below."},
	"error.bad_request.title":        {"Permintaan tidak valid", "Bad request"},
	"error.bad_request.body":         {"Permintaan ini tidak dapat diproses.", "This request could not be processed."},
	"error.validation_failed.title":  {"Isian tidak valid", "Invalid input"},
	"error.validation_failed.body":   {"Ada isian yang tidak valid.", "Some input is not valid."},
	"error.conflict.title":           {"Bentrok dengan data yang ada", "Conflicts with existing data"},
	"error.conflict.body":            {"Perubahan ini bertabrakan dengan data yang sudah ada.", "This change conflicts with data that already exists."},
	"error.body_too_large.title":     {"Isian terlalu besar", "Input too large"},
	"error.body_too_large.body":      {"Formulir yang dikirim terlalu besar.", "The submitted form is too large."},
	"error.method_not_allowed.title": {"Metode tidak didukung", "Method not allowed"},
	"error.method_not_allowed.body":  {"Alamat ini tidak menerima permintaan semacam ini.", "This address does not accept this kind of request."},
	"error.generic.title":            {"Galat", "Error"},
	"error.generic.body":             {"Permintaan ini tidak dapat diselesaikan.", "This request could not be completed."},
}
