package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/garda-id/garda/internal/ingest"
	"github.com/garda-id/garda/internal/ingest/format"
)

func ingestCmd() *cobra.Command {
	var server, token, key, formatName string
	var assetID int64
	var follow, fromStart bool
	cmd := &cobra.Command{
		Use:   "ingest --asset ID (--key KEY | --token TOKEN) [--format nginx] FILE...",
		Short: "Send log files to a Garda server's ingest endpoint",
		Long: `ingest reads log files (plain or gzip) and sends their lines to POST /api/v1/ingest/{asset}
of a running Garda, in gzip-compressed batches. A batch counts as sent only when the server has
stored it; when the server is busy (429) or its bus is (503), the same batch is sent again after a
pause, so no line is lost. With --follow it keeps reading each file as it grows, across rotation.

It sends with the asset's ingest key (--key, made on the asset's page or with
POST /api/v1/assets/{id}/ingest-keys), or with the API token of an analyst, coordinator or
administrator of the organisation that owns the asset (--token).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if key != "" {
				token = key // a key goes where a token would; the server tells them apart
			}
			if token == "" {
				return errors.New("give the asset's ingest key with --key or GARDA_INGEST_KEY, or a token with --token or GARDA_TOKEN")
			}
			if _, ok := format.Lookup(formatName); !ok {
				return fmt.Errorf("unknown format %q (one of %s)", formatName, strings.Join(format.Names(), ", "))
			}
			c := &ingestClient{server: strings.TrimSuffix(server, "/"), token: token, http: &http.Client{Timeout: 2 * time.Minute}}
			ctx := cmd.Context()
			var total ingestReply
			for _, name := range files {
				var src ingest.Lines
				var counters ingest.Counters
				if follow {
					f := ingest.Follow(name, ingest.FollowOptions{FromStart: fromStart, Counters: &counters})
					defer f.Close()
					src = f
				} else {
					r, err := ingest.Open(name, ingest.MaxLine, &counters)
					if err != nil {
						return err
					}
					defer r.Close()
					src = r
				}
				got, err := c.sendAll(ctx, src, assetID, formatName, follow)
				total.Accepted += got.Accepted
				total.Rejected += got.Rejected + counters.Snapshot().Rejected[ingest.TooLong]
				if err != nil && !(follow && ctx.Err() != nil) {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sent %d lines (%d rejected)\n", total.Accepted, total.Rejected)
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", envOr("GARDA_SERVER", "http://127.0.0.1:8080"), "Garda server URL (GARDA_SERVER)")
	cmd.Flags().StringVar(&token, "token", envOr("GARDA_TOKEN", ""), "API token of a person of the asset's owner (GARDA_TOKEN)")
	cmd.Flags().StringVar(&key, "key", envOr("GARDA_INGEST_KEY", ""), "the asset's ingest key; wins over --token (GARDA_INGEST_KEY)")
	cmd.Flags().Int64Var(&assetID, "asset", 0, "the asset id the logs belong to")
	cmd.Flags().StringVar(&formatName, "format", "nginx", "log format: "+strings.Join(format.Names(), ", "))
	cmd.Flags().BoolVar(&follow, "follow", false, "keep reading the files as they grow, across rotation")
	cmd.Flags().BoolVar(&fromStart, "from-start", false, "with --follow, read the files from the beginning, not the end")
	cmd.MarkFlagRequired("asset")
	return cmd
}

type ingestReply struct {
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
}

// ingestClient sends lines to a server's ingest endpoint.
type ingestClient struct {
	server, token string
	http          *http.Client
}

// sendAll reads src to its end (or, following, until ctx ends) and sends
// it in batches: when a batch is full, or every second while following.
func (c *ingestClient) sendAll(ctx context.Context, src ingest.Lines, assetID int64, format string, follow bool) (ingestReply, error) {
	var total ingestReply
	var batch [][]byte
	size := 0
	lines := make(chan []byte, 1024)
	errc := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(lines)
		for {
			l, err := src.Next(rctx)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					errc <- err
				}
				return
			}
			select {
			case lines <- append([]byte(nil), l...):
			case <-rctx.Done():
				return
			}
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		got, err := c.Send(ctx, assetID, format, batch)
		total.Accepted += got.Accepted
		total.Rejected += got.Rejected
		batch, size = batch[:0], 0
		return err
	}
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				if err := send(); err != nil {
					return total, err
				}
				select {
				case err := <-errc:
					return total, err
				default:
					return total, nil
				}
			}
			batch = append(batch, l)
			size += len(l)
			if len(batch) >= 20000 || size >= 8<<20 {
				if err := send(); err != nil {
					return total, err
				}
			}
		case <-tick.C:
			if follow {
				if err := send(); err != nil {
					return total, err
				}
			}
		case <-ctx.Done():
			// Interrupted: what was read is still sent, with a little time.
			fin, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			got, err := c.Send(fin, assetID, format, batch)
			cancel()
			total.Accepted += got.Accepted
			total.Rejected += got.Rejected
			if err != nil {
				return total, err
			}
			return total, ctx.Err()
		}
	}
}

// Send posts one batch, retrying while the server is busy (429) or cannot
// store (503), at most sendAttempts times. Each batch carries a random id:
// a retry after a lost answer is recognised by the server and not stored
// twice.
func (c *ingestClient) Send(ctx context.Context, assetID int64, format string, lines [][]byte) (ingestReply, error) {
	if len(lines) == 0 {
		return ingestReply{}, nil
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	for _, l := range lines {
		zw.Write(l)
		zw.Write([]byte{'\n'})
	}
	zw.Close()
	batch := make([]byte, 12)
	rand.Read(batch)
	url := c.server + "/api/v1/ingest/" + strconv.FormatInt(assetID, 10) + "?format=" + format
	wait := time.Second
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body.Bytes()))
		if err != nil {
			return ingestReply{}, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("X-Garda-Batch", hex.EncodeToString(batch))
		res, err := c.http.Do(req)
		var b []byte
		if err == nil {
			b, _ = io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			switch {
			case res.StatusCode == http.StatusOK:
				var r ingestReply
				return r, json.Unmarshal(b, &r)
			case res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable:
				if s, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && s > 0 {
					wait = time.Duration(s) * time.Second
				}
				err = fmt.Errorf("server busy (%d)", res.StatusCode)
			default:
				return ingestReply{}, fmt.Errorf("server answered %d: %s", res.StatusCode, strings.TrimSpace(string(b)))
			}
		}
		if attempt >= sendAttempts {
			return ingestReply{}, fmt.Errorf("batch of %d lines not stored after %d attempts: %w", len(lines), attempt, err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ingestReply{}, ctx.Err()
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// sendAttempts bounds the retries of one batch (about ten minutes).
const sendAttempts = 25

// newIngestClient is the simulator's way to a running server.
func newIngestClient(server, token string) logSender {
	c := &ingestClient{server: strings.TrimSuffix(server, "/"), token: token, http: &http.Client{Timeout: 2 * time.Minute}}
	return senderFunc(func(ctx context.Context, assetID int64, format string, lines [][]byte) error {
		_, err := c.Send(ctx, assetID, format, lines)
		return err
	})
}

type senderFunc func(ctx context.Context, assetID int64, format string, lines [][]byte) error

func (f senderFunc) Send(ctx context.Context, assetID int64, format string, lines [][]byte) error {
	return f(ctx, assetID, format, lines)
}
