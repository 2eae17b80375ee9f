//go:build race

package web

// raceEnabled: the race detector slows page rendering about tenfold; the
// long walks cover fewer accounts and addresses under it.
const raceEnabled = true
