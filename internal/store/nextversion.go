//go:build garda_upgrade_test

package store

import (
	"embed"
	"io/fs"
)

//go:embed testdata/nextversion/*.sql
var nextVersionFiles embed.FS

// init registers the next version's migrations in a test build only.
func init() {
	sub, err := fs.Sub(nextVersionFiles, "testdata/nextversion")
	if err != nil {
		panic(err)
	}
	nextVersionMigrations = sub
}
