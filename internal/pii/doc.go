// Package pii finds Indonesian personal data in text: NIK (the 16-digit
// population number), KK (family card) numbers, NPWP (tax numbers, 15 digits
// with a check digit, or the 16-digit form) and phone numbers. It tolerates
// what OCR and copy-paste do to numbers (O/0, I/l/1, S/5, B/8, Z/2 and
// spaces, dots or dashes inside them) and uses context words ("NIK", "No. KK",
// "NPWP", "HP", column headers) to tell the categories apart and to reject
// numbers that only look like them (accounts, invoices, card numbers).
//
// It reports counts, regions and salted hashes. It must never print, log or
// return a found value in anything that can be serialised: the values live
// only in unexported fields for as long as a Result does.
package pii
