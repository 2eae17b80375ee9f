package intel

// SetFeedScan sets how many entries one feed page reads at most, for a
// test, and returns the old value.
func SetFeedScan(n int) int {
	old := feedScan
	feedScan = n
	return old
}
