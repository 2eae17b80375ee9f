// Package ingest brings logs into Garda: it reads log files (plain or
// gzip), follows growing files through rotation, and receives syslog over
// UDP and TCP, turning each line into a normalised event with a format
// from package format, and counting every line read, accepted and
// rejected (by reason) for the metrics.
//
// The bar it is held to: a bad line — truncated, binary, over a megabyte,
// not UTF-8, not the format — is counted as rejected and skipped, never a
// crash, never an end to the run, and never takes the good line after it
// down with it. Memory per source stays bounded by the maximum line size,
// whatever the input; a request read whole (ReadBody) is bounded by its
// Limits once un-gzipped, and stops at them, so a gzip bomb costs no more
// than an honest request; a Quota bounds each sender's lines a second.
//
// It must never decide what an event means (that is detection's job),
// never write to the bus or the store itself (the caller's emit does),
// and never read a file it was not given.
package ingest
