package nuclei

import (
	"embed"
	"io/fs"
)

// templatesFS is the shipped set: the nuclei-templates (MIT, see
// templates/LICENSE and NOTICE) that fit KPU's sites: Linux, Apache,
// nginx, PHP, Laravel and WordPress sites, their TLS, DNS and mail
// services. Exposures (VCS folders, .env, backups, logs, configs),
// misconfigurations, technology detection, login panels of hosting
// tools, TLS and DNS checks, a few CVEs of Apache, PHP and phpMyAdmin.
// Default-login brute force, other vendors' products and C2 detection
// are left out. templates/README.md lists where they come from.
//
//go:embed templates
var templatesFS embed.FS

func builtinFS() fs.FS {
	sub, err := fs.Sub(templatesFS, "templates")
	if err != nil {
		panic(err) // the folder is compiled in
	}
	return sub
}

// Builtin loads the shipped templates.
func Builtin() ([]Loaded, error) { return loadFS(builtinFS(), "builtin") }
