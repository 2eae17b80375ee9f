package rpz

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/garda-id/garda/internal/store"
)

// snapshot reads the serial and the live blocks together, so a zone never
// pairs a serial with another serial's records.
func snapshot(ctx context.Context, db *store.DB) (uint32, []Entry, error) {
	var serial uint32
	var entries []Entry
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if serial, err = Serial(ctx, tx); err != nil {
			return err
		}
		entries, err = Live(ctx, tx)
		return err
	})
	return serial, entries, err
}

// Handler serves the zone at /rpz/{key}/garda.rpz: the key is in the path
// because a resolver's zone downloader (unbound's url:) sends no headers.
// An unknown or revoked key answers 404, as a route that is not there.
func Handler(db *store.DB, t Timers, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	cache := &zoneCache{timers: t}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		w.Header().Set("Cache-Control", "no-store")
		res, err := resolverByKey(ctx, db, r.PathValue("key"))
		if err != nil {
			log.Error("rpz: look up resolver", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if res == nil {
			http.NotFound(w, r)
			return
		}
		serial, text, _, err := cache.current(ctx, db, true)
		if err != nil {
			log.Error("rpz: read zone", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if err := recordFetch(ctx, db, res.ID, remoteIP(r.RemoteAddr), "http", serial); err != nil {
			log.Warn("rpz: record fetch", "resolver", res.Name, "err", err)
		}
		etag := `"` + strconv.FormatUint(uint64(serial), 10) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/dns; charset=utf-8") // RFC 4027's master-file type
		w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s"`, Origin))
		w.Header().Set("Content-Length", strconv.Itoa(len(text)))
		if r.Method == http.MethodHead {
			return
		}
		w.Write(text)
	})
}

func remoteIP(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
