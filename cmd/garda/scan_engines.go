package main

import (
	"github.com/garda-id/garda/internal/scan"
	"github.com/garda-id/garda/internal/scan/builtin"
	"github.com/garda-id/garda/internal/scan/nuclei"
)

// The one place the scan engines are registered: scan.LoadChecks("")
// then gives nuclei's shipped templates and the built-in checks, to the
// command line, the schedule's rounds and the scans started by hand.
func init() {
	scan.Register("nuclei", nuclei.Checks)
	scan.Register("builtin", func(string) ([]scan.Check, error) { return builtin.All(), nil })
}
