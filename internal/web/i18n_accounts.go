package web

// accountMessages are the strings of accounts, sign-in, passwords, settings, the audit log and webhooks.
var accountMessages = map[string]msg{
	"login.err_wait_seconds": {"Terlalu banyak percobaan masuk yang gagal dari alamat ini. Tunggu %d detik, lalu coba lagi.", "Too many failed sign-ins from this address. Wait %d seconds, then try again."},
	"login.err_wait_minutes": {"Terlalu banyak percobaan masuk yang gagal dari alamat ini. Tunggu %d menit, lalu coba lagi.", "Too many failed sign-ins from this address. Wait %d minutes, then try again."},
}
