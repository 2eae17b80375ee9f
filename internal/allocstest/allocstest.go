// Package allocstest counts a function's allocations for tests that hold
// a path to none (or a few).
package allocstest

import "testing"

// PerRun is testing.AllocsPerRun's average, the least of three tries.
// AllocsPerRun counts the whole process's allocations, and under -race the
// runtime's own goroutines sometimes allocate during a try (CI once saw 1
// for a path that allocates nothing); an allocation of f's own shows in
// every try, so the least is the one that decides.
func PerRun(runs int, f func()) float64 {
	least := testing.AllocsPerRun(runs, f)
	for i := 0; i < 2 && least != 0; i++ {
		least = min(least, testing.AllocsPerRun(runs, f))
	}
	return least
}
