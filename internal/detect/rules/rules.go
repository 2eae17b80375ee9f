// Package rules ships the detection rules compiled into Garda: SigmaHQ's
// webserver and proxy rules, as published (Detection Rule License 1.1:
// each file keeps its author; see sigma/LICENSE.md and NOTICE).
package rules

import (
	"embed"
	"io/fs"
)

//go:embed sigma
var sigmaFS embed.FS

// Sigma is the embedded SigmaHQ rule tree.
func Sigma() fs.FS {
	sub, err := fs.Sub(sigmaFS, "sigma")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	return sub
}
