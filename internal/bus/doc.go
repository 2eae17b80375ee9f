// Package bus is Garda's message bus: the one place that talks to NATS
// JetStream. Every other package publishes and consumes through it and never
// imports nats.go itself.
//
// # Deployment
//
// With an empty [Config.URL] the bus starts an in-process nats-server with
// JetStream, storing under <DataDir>/nats and listening on no port; the
// client connects to it in-process. With a nats:// URL (the --nats flag) it
// connects to an external server or cluster instead, and several
// `garda serve` instances then share work through durable consumers.
//
// # Streams and subjects
//
// Every stream name and subject is namespaced by [Config.Prefix] (default
// "GARDA"): stream names use the upper-case prefix, subjects the lower-case
// one. With the default prefix:
//
//	kind       stream           subjects             retention (defaults)
//	events     GARDA_EVENTS     garda.events.>       72h, 1 GiB, new refused when full of unconsumed
//	alerts     GARDA_ALERTS     garda.alerts.>       30 days
//	decisions  GARDA_DECISIONS  garda.decisions.>    30 days
//	changes    GARDA_CHANGES    garda.changes.>      1h
//	drills     GARDA_DRILLS     garda.drills.>       24h
//
// events carries raw log events (high volume), alerts and decisions the
// detection results and response decisions, changes record-change
// notifications for live UI updates, and drills the traffic of drills
// (package drill), kept off the events stream so that live detection never
// takes it. Build subjects with [Bus.Subject], e.g.
// b.Subject(bus.Events, orgID, "syslog") gives "garda.events.<org>.syslog".
// All streams use file storage and limits retention, so several durable
// consumers may read the same stream, each seeing every message.
//
// # Guarantees
//
// Publishing is acknowledged: [Bus.Publish] and [Bus.PublishBatch] report a
// message as accepted only after JetStream has answered that it stored it.
// A message with an ID (the Nats-Msg-Id header) is stored at most once within
// the de-duplication window, so a publisher may safely retry.
//
// Consumers created by [Bus.Consume] are durable pull consumers with explicit
// acks: instances using the same durable name share the work, each message
// is handled by one of them, and it is acked only after the handler returned
// nil. Delivery is at least once: a handler that fails, or whose instance
// dies before acking, sees the message again, so handlers must be idempotent.
// [Bus.Watch] is a best-effort live feed of new messages (core NATS), for
// UI updates only: it may drop messages when its reader falls behind.
//
// The bus must never count a message as accepted before the JetStream ack,
// never ack a message before its handler succeeded, never lose a message
// silently on its own side (every failure is returned or logged), and
// never keep package-level mutable state: everything hangs off a [Bus].
//
// The external test server may be an old nats-server (2.9): the bus uses
// only stream and consumer features that 2.9 supports (no metadata,
// compression, subject transforms, multi-filter consumers, priority groups,
// atomic batches or per-message TTLs), it updates a stream only when its
// configuration differs (a 2.9 server crashes when an update races another
// instance's create), and it pulls with self-contained fetches rather than
// the client's continuous pull, whose request accounting can stall for
// 30s under load.
package bus
