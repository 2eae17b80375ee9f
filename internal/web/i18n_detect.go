package web

// detectMessages are the strings of what detection could not read: an
// asset's refused log lines, by reason.
var detectMessages = map[string]msg{
	"asset.rejected":        {"Baris log yang ditolak", "Rejected log lines"},
	"asset.rejected_format": {"Format", "Format"},
	"asset.rejected_reason": {"Alasan", "Reason"},
	"asset.rejected_lines":  {"Baris", "Lines"},
	"asset.rejected_note":   {"Dihitung sejak server ini berjalan. Baris yang ditolak tidak dideteksi.", "Counted since this server started. Rejected lines are not detected over."},
	"asset.rejected_none":   {"Tidak ada baris yang ditolak sejak server ini berjalan.", "No line rejected since this server started."},

	"reject.bad_client_address": {"Alamat klien tidak terbaca", "Client address unreadable"},
	"reject.bad_time":           {"Waktu tidak terbaca", "Time unreadable"},
	"reject.bad_request":        {"Baris permintaan tidak terbaca", "Request line unreadable"},
	"reject.bad_status":         {"Status atau ukuran tidak terbaca", "Status or size unreadable"},
	"reject.unparseable":        {"Format tidak dikenali", "Format not recognised"},
	"reject.too_long":           {"Baris terlalu panjang", "Line too long"},
	"reject.binary":             {"Bukan teks (biner)", "Not text (binary)"},
}
