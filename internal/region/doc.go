// Package region is Garda's catalogue of Indonesian administrative regions
// and the one place that decides what a region scope covers.
//
// Regions are Kemendagri codes: "" is the nation, "32" a province, "32.04" a
// regency or city. The 38 provinces and 514 regencies/cities are compiled
// into the binary from idn-area-data (ODbL 1.0, credited in NOTICE), so the
// catalogue is the same on every machine and needs no database.
//
// A user's scope is a code prefix taken segment by segment: Contains("32",
// "32.04") is true, Contains("3", "32") and Contains("32", "320") are not.
// Every access check in Garda must use Contains rather than comparing
// strings itself.
//
// The package must never change after start-up: there is no way to add,
// rename or remove a region at run time, no package-level mutable state,
// and every slice it returns is a copy. It must never do I/O beyond reading
// its embedded files, and never depend on other Garda packages; they
// depend on it.
package region
