package web

// accountMessages are the strings of accounts, sign-in, passwords, settings, the audit log and webhooks.
var accountMessages = map[string]msg{
	"login.err_wait_seconds":  {"Terlalu banyak percobaan masuk yang gagal dari alamat ini. Tunggu %d detik, lalu coba lagi.", "Too many failed sign-ins from this address. Wait %d seconds, then try again."},
	"password.weak.too_short": {"Kata sandi paling sedikit %d karakter.", "The password must be at least %d characters."},
	"password.weak.too_long":  {"Kata sandi terlalu panjang.", "The password is too long."},
	"password.weak.blank":     {"Kata sandi tidak boleh hanya spasi.", "The password must not be only spaces."},
	"password.weak.repeated":  {"Kata sandi tidak boleh berupa satu karakter atau kelompok pendek yang diulang.", "The password must not be one character or a short group repeated."},
	"password.weak.sequence":  {"Kata sandi tidak boleh berupa deretan karakter berurutan (123…, abc…).", "The password must not be a run of consecutive characters (123…, abc…)."},
	"password.weak.common":    {"Kata sandi ini termasuk yang paling umum dipakai: pilih yang lain.", "This is one of the most common passwords: choose another."},
	"password.weak.username":  {"Kata sandi tidak boleh sama dengan nama pengguna.", "The password must not be the username."},
	"login.err_wait_minutes":  {"Terlalu banyak percobaan masuk yang gagal dari alamat ini. Tunggu %d menit, lalu coba lagi.", "Too many failed sign-ins from this address. Wait %d minutes, then try again."},
}
