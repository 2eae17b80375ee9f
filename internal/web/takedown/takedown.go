// Package takedown is the content-takedown pillar's pages and API
// ("Penurunan Konten"): the queue of requests by deadline, a new request,
// a request's page and its lifecycle's steps, its letters (printable and
// PDF), Garda's checks on demand, and a platform's page with its
// compliance. It is mounted on the web shell (package shell) by package
// web, and ships its templates and message files beside its code. Who may
// do what is decided in the domain package internal/takedown, never here.
//
// The domain package has the same name; inside this package "takedown."
// always means it (the pillar exports nothing else than Mount and Deps).
package takedown

import (
	"embed"

	"github.com/garda-id/garda/internal/store"
	"github.com/garda-id/garda/internal/takedown"
	"github.com/garda-id/garda/internal/web/locale"
	"github.com/garda-id/garda/internal/web/shell"
)

// The pillar's pages (templates/*.html) and words
// (messages/<area>.<lang>.json) are compiled in, as the shell's are.
var (
	//go:embed templates/*.html
	templateFS embed.FS
	//go:embed messages
	messageFiles embed.FS
)

func init() { locale.Register(messageFiles, "messages") }

// Deps is what the pillar needs from the platform; package web fills it
// from its own Deps when it mounts the pillar.
type Deps struct {
	DB *store.DB
	// Checks checks a request's URLs on demand; nil: refused as not
	// configured here.
	Checks *takedown.Checker
	// Deadlines are the times a platform has by urgency (nil: the
	// regulation's defaults).
	Deadlines takedown.Deadlines
	// Outbox carries the letters (the notifier's SMTP server and webhook
	// signature); nil records a request as sent without carrying them.
	Outbox *takedown.Outbox
}

// pillar is the mounted pillar: its dependencies and the shell it
// registered on.
type pillar struct {
	Deps
	sh shell.Shell
}

// Mount parses the pillar's templates and registers its pages and API
// routes on sh.
func Mount(sh shell.Shell, d Deps) error {
	if err := sh.Templates(templateFS); err != nil {
		return err
	}
	s := &pillar{Deps: d, sh: sh}
	s.pageRoutes()
	s.apiRoutes()
	return nil
}

// lifecycle is what the pages and the API change requests with.
func (s *pillar) lifecycle() takedown.Lifecycle {
	return takedown.Lifecycle{DB: s.DB, Deadlines: s.Deadlines, Outbox: s.Outbox}
}
