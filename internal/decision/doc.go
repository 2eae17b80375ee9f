// Package decision is how Garda blocks: a decision bans (or captchas) an
// IP address or range for a while. Decisions come from the per-scenario
// policy (Rules.Decide: automatic, or proposed for a person to approve) or
// from a person (Create); an allow-list of addresses Garda must never block
// (KPU's own scanners, the national CDN) wins over both. Enforcement points
// pull the active decisions over CrowdSec's Local API for bouncers (LAPI),
// so the bouncers that already exist (nginx, firewall, custom scripts)
// enforce Garda's blocks unchanged.
//
// A decision is live while proposed, or while active and not yet past its
// until; expiry is computed on read, so no background job has to run for a
// block to end. The package keeps at most one live decision per value: a
// second ban of the same address extends the first. Every change is written
// with its audit entry in one transaction, and moves the decision clock, a
// counter whose row lock serialises decision writers and whose value is a
// bouncer's position in the stream, so no bouncer misses a change that
// committed late.
//
// It must never block an allow-listed address, never hand a bouncer a
// proposed (unapproved) decision, and never store a bouncer's key in clear.
package decision
