// Package cluster proves on one machine that a Garda cluster loses
// nothing: its tests (behind GARDA_CLUSTER=1) start a 3-node NATS
// JetStream cluster with R3 streams (garda nats-node), three garda serve
// instances sharing PostgreSQL (a database of their own, dropped after)
// through a loopback proxy the tests can cut, and a load generator that
// ingests from KPU's 553 sites; then they break it (kill -9 an instance,
// lose NATS quorum, cut PostgreSQL, stall a stream reader, keep a bouncer
// away, stop detection until the events stream is full, race the
// schedule) and count what was acknowledged, detected, duplicated and
// lost. scripts/cluster-faults.sh runs them. The package holds no code
// the platform runs: it must never be imported.
package cluster
