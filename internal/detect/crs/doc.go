// Package crs finds web-attack payloads in access-log requests with the
// OWASP Core Rule Set (CRS v4, embedded) run by Coraza: SQL injection,
// XSS, command injection, path traversal, remote file inclusion, PHP and
// Java injection, session fixation, protocol abuse and scanner user
// agents, judged from what an access log holds (method, request target,
// HTTP version, Host, User-Agent, Referer).
//
// Detector.Detect is the pipeline's entry: a Prefilter reads the request's
// bytes once (some 50 ns for the target, the User-Agent and Referer
// verdicts cached; no allocation) and lets the ordinary request skip
// Coraza, which costs about a millisecond a request; what it passes,
// Detector.Inspect runs through CRS phases 1 and 2 and scores.
// The default paranoia level (2) and threshold (5) were chosen by
// measurement: the lowest level at which CRS's regression cases with the
// payload in the URI are at least 90 % flagged while no benign request of
// genlog's is (TestParanoiaTable prints the evidence). The score is CRS's
// own sum of severities, except that a rule that fires alone on ordinary
// values (Options.WeakAlone) counts only beside another attack rule: one
// misfiring rule alone is evidence below the threshold, not an attack
// (Result.BelowThreshold). LoadRegression and
// Replay replay CRS's go-ftw regression cases and report detection and
// false positives per class.
//
// It must never block, answer or alter traffic (the engine runs in
// DetectionOnly mode over logged requests), never read request or response
// bodies, and its prefilter must never skip a request CRS would flag: a
// skipped attack is a silent miss, so every prefilter change is measured
// against the regression cases and CRS's own phrase lists by the tests.
package crs
