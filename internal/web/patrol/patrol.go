// Package patrol is the cyber-patrol pillar's pages and API ("Patroli
// Siber"): the shift's live queue, an item and its actions, the sources
// and their imports, the weekly counts, the public report form ("Aduan
// Konten"), and the fact-check database the items are matched against
// ("Klaim & Cek Fakta"). It is mounted on the web shell (package shell)
// by package web, and ships its templates and message files beside its
// code. Who may do what is decided in the domain packages
// (internal/patrol, internal/claim), never here.
//
// The domain package has the same name; inside this package "patrol."
// always means it (the pillar exports nothing else than Mount, Deps and
// ItemKind).
package patrol

import (
	"context"
	"embed"
	"log/slog"

	"github.com/garda-id/garda/internal/bus"
	"github.com/garda-id/garda/internal/claim"
	"github.com/garda-id/garda/internal/live"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/patrol/source"
	"github.com/garda-id/garda/internal/store"
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

// ItemKind is the live-stream kind of patrol items: the runner's
// OnItem and the pillar's changes notify it, the queue's stream watches it.
const ItemKind = "patrol_item"

// Deps is what the pillar needs from the platform; package web fills it
// from its own Deps when it mounts the pillar.
type Deps struct {
	DB   *store.DB
	Orgs *org.Cache
	Log  *slog.Logger
	// Bus carries the live queue's changes; nil: the queue is not live.
	Bus *bus.Bus
	// Patrol runs the sources, imports and submissions; nil: they are
	// refused as not configured here (items still read).
	Patrol *source.Runner
	// DataDir holds the items' stored copies ("" : none handed out).
	DataDir string
	// Claims is the fact-check database and its matcher.
	Claims *claim.Service
	// TLS: the platform is reached over HTTPS (a fact-check's own URL).
	TLS bool
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
	s.patrolRoutes()
	s.patrolReportRoutes()
	s.claimPages()
	s.patrolAPI()
	s.claimRoutes()
	return nil
}

// changed tells the live queues that items changed.
func (s *pillar) changed(ctx context.Context, ids ...int64) {
	live.Notify(ctx, s.Bus, s.Log, ItemKind, ids...)
}
