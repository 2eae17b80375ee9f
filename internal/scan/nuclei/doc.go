// Package nuclei reads nuclei templates as they are and runs them as
// scan.Checks: the http (and legacy requests), ssl, dns and network (tcp)
// protocols, matchers word/regex/status/size/dsl/binary, extractors
// regex/kval/json/xpath/dsl, payloads with the batteringram, pitchfork and
// clusterbomb attacks, and nuclei's DSL (package dsl). nuclei itself cannot
// be fetched here (projectdiscovery answers 403), so this is Garda's own
// code, tested against nuclei's integration-test templates.
//
// What a template may not do is refused when it loads, with the feature
// named: other protocols (`unsupported protocol "headless"`), out-of-band
// placeholders (interactsh), flow, fuzzing, self-contained requests,
// multi-protocol templates, payload lists that are not shipped beside the
// template.
//
// Active or passive: a template is passive only if every request it makes
// is what a browser visiting the site would make: http GET or HEAD of the
// target's own URL ({{BaseURL}} or {{RootURL}}) without payloads, body or
// headers a browser would not send (a forged Host is a probe), the TLS
// handshake (ssl) and DNS questions about the target's names (dns without
// payloads). Anything else (another path, another method, a body,
// payloads, race requests, guessed DNS names, any network protocol
// template) is active and runs only under an active authorisation.
//
// Unsafe raw requests (unsafe: true) are sent through the Env's HTTP client
// like any raw request: nuclei's byte-for-byte rawhttp would bypass the
// Env's guards. Results keep nuclei's JSONL shape; the network protocol's
// type is "tcp", as in nuclei.
//
// A template reaches only its target: a path, @Host, ssl address or
// network host naming another host is an error, and a raw request line
// naming another host ("GET http://elsewhere/", nuclei's open-proxy
// checks) is sent to the target as to a proxy. DNS questions go to the
// Env's resolver.
//
// The package never decides politeness, address guards or connection
// limits: every connection goes through the scan.Env a caller gives it.
// It bounds its own work: template size, requests per template, bytes a
// matcher reads, time (the context).
package nuclei
