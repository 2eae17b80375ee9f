package cluster

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// restartWith restarts the instances one at a time (the others keep
// serving) with extra arguments after their first ones.
func (c *Cluster) restartWith(extra ...string) {
	for k, inst := range c.insts {
		inst.stop()
		inst.args = append(slices.Clone(inst.base), extra...)
		c.startInstance(inst, k)
		c.waitReady(inst)
	}
}

// faultDetectionLag: detection stops on every instance while ingest goes
// on into an events stream capped at 1 MiB. Once the stream holds its cap
// of lines detection has not seen, ingest must refuse (503 with
// Retry-After) rather than drop one; when detection returns it catches up,
// every acknowledged line is detected once, and ingest is taken again.
func faultDetectionLag(t *testing.T, c *Cluster, s settings) {
	c.restartWith("--detect=false", "--event-max-mb", "1")
	l := newLoad(c, 5, s.lines, s.workers, s.rate)
	l.openWindow()
	stop := runLoad(l)
	// Until the stream is full and refusals have come for a while.
	deadline := time.Now().Add(max(s.load, 30*time.Second))
	for time.Now().Before(deadline) {
		l.mu.Lock()
		refused := l.window.status[http.StatusServiceUnavailable] + l.window.status[http.StatusTooManyRequests]
		l.mu.Unlock()
		if refused >= 50 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)
	stopped := l.closeWindow()
	// Detection comes back (the cap stays): it catches up and makes room.
	back := time.Now()
	c.restartWith("--event-max-mb", "1")
	l.openWindow()
	time.Sleep(max(s.load/2, 15*time.Second))
	after := l.closeWindow()
	stop()
	tl := l.settle(s.stable)
	refused := stopped.status[http.StatusServiceUnavailable] + stopped.status[http.StatusTooManyRequests]
	report(t, "detection-lag", tl, fmt.Sprintf("refused=%d refused_no_retry_after=%d stopped_2xx=%d stopped_answers=%v resumed_2xx=%d back_s=%.0f cap_mb=1",
		refused, stopped.noRetry, stopped.status[http.StatusOK], stopped.status, after.status[http.StatusOK], time.Since(back).Seconds()))
	if refused == 0 || stopped.noRetry > 0 {
		t.Errorf("with detection stopped and the stream full, ingest answered %v (%d refusals without Retry-After): want 503 with Retry-After", stopped.status, stopped.noRetry)
	}
	if stopped.status[http.StatusOK] == 0 {
		t.Errorf("nothing was acknowledged before the stream filled")
	}
	if after.status[http.StatusOK] == 0 {
		t.Errorf("ingest was not taken again once detection returned: %v", after.status)
	}
	// The cluster as it was: the default cap, detection on.
	c.restartWith()
}
