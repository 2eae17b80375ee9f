//go:build race

package crs

// raceEnabled: the race detector slows Coraza about tenfold; the long
// replays sample under it.
const raceEnabled = true
