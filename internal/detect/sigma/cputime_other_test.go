//go:build !linux

package sigma

import "testing"

// threadCPU reports nothing where there is no per-thread CPU clock.
type threadCPU struct{}

func startThreadCPU() threadCPU       { return threadCPU{} }
func (threadCPU) report(b *testing.B) {}
