//go:build race

package simulate

// raceDetector skips the detection engine's end-to-end runs, which take
// minutes under the race detector (Coraza); the simulator's own
// concurrency (Run, Labels) is tested either way.
const raceDetector = true
