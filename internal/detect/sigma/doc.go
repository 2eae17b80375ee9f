// Package sigma loads Sigma detection rules (SigmaHQ's, as they are) and
// matches them against normalised events (event.Event).
//
// The flow is Parse or LoadFS (YAML to Rule, every problem reported with
// the file it came from), then Compile (rules and Options, chiefly a field
// mapping, to a Set), then one Matcher per goroutine calling Match for each
// event.
//
// Semantics follow the Sigma specification v2: case-insensitive matching
// unless |cased, wildcards * and ? with backslash escapes, lists of values
// are OR (AND with |all), modifiers apply in the order written, null and
// the empty string both mean "the field is absent or empty" (an event has
// no other notion of absence), numbers are compared as the text of the
// field unless a numeric modifier says otherwise, regular expressions are
// unanchored RE2 searches, and a keyword search (a value with no field)
// looks for its values in Options.KeywordFields. Case folding is Unicode
// simple lower-casing. The condition grammar is the specification's, plus
// pySigma's "any of" for "1 of". Not supported, each with an error saying
// so: the deprecated aggregations (| count() ..., near), correlation and
// filter documents, and the time modifiers (minute, hour, ...: an event
// has no date field for them).
//
// Field names in rules are mapped to event fields by a FieldMap (WebFieldMap
// by default). A Sigma field may map to several event fields; its condition
// then holds when it holds on any of them, as with pySigma's one-to-many
// mappings. A field with no mapping is absent on every event: the rule
// still loads and its conditions on that field see the empty value, so
// "field: null" holds and "field|contains: x" does not. Set.Unmapped lists
// such fields and Set.Stats the rules that therefore can never match.
//
// Matching is prefiltered. From each rule's condition Compile derives
// literals of which at least one must hold for the rule to match: a
// field's whole value, its start, its end, or a substring of it. Per
// event, each field is scanned once by an Aho-Corasick automaton over all
// substring literals of that field (and its anchored literals are looked
// up), and only the rules with a literal found are evaluated; a rule
// without a usable literal would be evaluated on every event (Set.Stats
// lists them; SigmaHQ's web rules have none). Long field values repeat
// (user agents, referrers), so each Matcher remembers the literals found
// in recent values. The automaton verifies every hit against the whole
// literal, so when a candidate rule is evaluated, its tests of such
// literals are answered from the scan rather than by searching again.
//
// This package must never allocate per event on the matching path (a
// Matcher holds all scratch space; the one exception is Go's regexp,
// whose pooled state the garbage collector may drop), never silently drop
// or weaken a rule (a rule it cannot honour is an error naming the file
// and the reason), and never let the prefilter change an answer: it may
// only skip rules that provably cannot match, which the tests check by
// comparing Match with MatchUnfiltered. It knows no log format; parsing
// belongs to ingest.
package sigma
