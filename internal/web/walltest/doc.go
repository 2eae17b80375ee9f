// Package walltest drives the operation rooms' wall display
// (/ruang-operasi/{id}/layar) in Debian's Chromium, headless, over the
// Chrome DevTools Protocol: the screen at 1920x1080 shows the map and the
// counters, a new alert appears without a reload, and the screen reconnects
// by itself after the server restarts. It lives outside internal/web so
// that package's long suite does not grow; it has no code of its own.
package walltest
