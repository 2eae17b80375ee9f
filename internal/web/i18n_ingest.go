package web

// ingestMessages are the strings of log shipping (an asset's senders and
// their keys) and of what decisions say about the logs behind them.
var ingestMessages = map[string]msg{
	"ingest.host_taken":      {"Nama host atau alamat IP ini sudah dipakai aset lain. Satu nama host hanya untuk satu aset, karena alamatnya menentukan aset mana yang menerima syslog darinya.", "This host name or IP address is already used by another asset. A host name belongs to one asset, since its address decides which asset receives its syslog."},
	"ingest.keys_title":      {"Pengirim log", "Log senders"},
	"ingest.keys_lead":       {"Log aset ini hanya diterima dari organisasi pemiliknya atau dari pengirim terdaftar yang memegang kunci ingest aset ini. Setiap kiriman dicatat di jejak audit beserta pengirimnya.", "This asset's logs are accepted only from its owner organisation or from a registered sender holding one of its ingest keys. Every batch is recorded in the audit trail with its sender."},
	"ingest.keys_none":       {"Belum ada pengirim terdaftar.", "No registered senders yet."},
	"ingest.key_name":        {"Nama pengirim", "Sender name"},
	"ingest.key_add":         {"Daftarkan pengirim", "Register sender"},
	"ingest.key_added":       {"Pengirim %s didaftarkan.", "Sender %s registered."},
	"ingest.key_title":       {"Kunci ingest untuk %s", "Ingest key for %s"},
	"ingest.key_howto":       {"Kirim log ke alamat di bawah dengan kunci ini di header X-Api-Key (atau Authorization: Bearer). Kunci ini hanya berlaku untuk aset ini.", "Send logs to the address below with this key in the X-Api-Key header (or Authorization: Bearer). The key works for this asset only."},
	"ingest.key_prefix":      {"Awal kunci", "Key prefix"},
	"ingest.key_last_used":   {"Terakhir dipakai", "Last used"},
	"ingest.key_revoke":      {"Cabut", "Revoke"},
	"ingest.key_confirm":     {"Cabut kunci pengirim %s? Log dengan kunci ini akan ditolak.", "Revoke sender %s's key? Logs sent with it will be refused."},
	"ingest.key_revoked":     {"Kunci ingest %s dicabut.", "Ingest key %s revoked."},
	"decisions.sent_by":      {"Dari log kiriman %s (batch %s)", "From logs sent by %s (batch %s)"},
	"aact.ingest.batch":      {"Log dikirim", "Logs sent"},
	"aact.ingest_key.create": {"Kunci pengirim log dibuat", "Log-sender key created"},
	"aact.ingest_key.revoke": {"Kunci pengirim log dicabut", "Log-sender key revoked"},
}
