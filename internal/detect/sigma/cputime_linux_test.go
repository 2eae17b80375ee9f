//go:build linux

package sigma

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU measures the CPU time of the calling OS thread, so that a
// benchmark on a shared, loaded machine can report the time it actually
// ran rather than the time it waited for a core.
type threadCPU struct{ start time.Duration }

func startThreadCPU() threadCPU {
	runtime.LockOSThread()
	return threadCPU{start: threadTime()}
}

func (c threadCPU) report(b *testing.B) {
	d := threadTime() - c.start
	runtime.UnlockOSThread()
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func threadTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
