package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/spf13/cobra"
)

// natsNodeCmd runs one node of a NATS JetStream cluster from the
// nats-server module Garda already embeds, so a cluster on one machine
// (scripts/cluster-faults.sh, internal/cluster) needs no other binary.
// It is a test and small-site tool: a production cluster runs the NATS
// project's own server with its configuration file.
func natsNodeCmd() *cobra.Command {
	var name, addr, clusterAddr, clusterName, storeDir, pprofAddr string
	var routes []string
	cmd := &cobra.Command{
		Use:   "nats-node",
		Short: "Run one NATS JetStream cluster node (the embedded nats-server) until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, port, err := splitHostPort(addr)
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			opts := &server.Options{
				ServerName: name,
				Host:       host,
				Port:       port,
				JetStream:  true,
				StoreDir:   storeDir,
				NoSigs:     true,
			}
			if clusterAddr != "" {
				ch, cp, err := splitHostPort(clusterAddr)
				if err != nil {
					return fmt.Errorf("--cluster: %w", err)
				}
				opts.Cluster = server.ClusterOpts{Name: clusterName, Host: ch, Port: cp}
				for _, r := range routes {
					u, err := url.Parse(strings.TrimSpace(r))
					if err != nil {
						return fmt.Errorf("--routes %q: %w", r, err)
					}
					opts.Routes = append(opts.Routes, u)
				}
			}
			if err := startPprof(cmd.Context(), pprofAddr, logger(cmd.ErrOrStderr())); err != nil {
				return err
			}
			if err := os.MkdirAll(storeDir, 0o750); err != nil {
				return err
			}
			ns, err := server.NewServer(opts)
			if err != nil {
				return fmt.Errorf("nats node: %w", err)
			}
			ns.SetLoggerV2(serverLog{logger(cmd.ErrOrStderr()).With("node", name)}, false, false, false)
			ns.Start()
			if !ns.ReadyForConnections(30 * time.Second) {
				ns.Shutdown()
				return fmt.Errorf("nats node %s: not ready after 30 s", name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "nats node %s: nats://%s cluster %s\n", name, addr, clusterAddr)
			<-cmd.Context().Done()
			ns.Shutdown()
			ns.WaitForShutdown()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "n1", "server name, unique in the cluster")
	f.StringVar(&addr, "addr", "127.0.0.1:4222", "client address (host:port)")
	f.StringVar(&clusterAddr, "cluster", "", "cluster (route) address (host:port); empty: a single node")
	f.StringVar(&clusterName, "cluster-name", "garda", "cluster name")
	f.StringSliceVar(&routes, "routes", nil, "routes to the other nodes, nats-route://host:port (comma-separated)")
	f.StringVar(&storeDir, "store-dir", "./nats-data", "JetStream store directory")
	f.StringVar(&pprofAddr, "pprof-addr", "", "serve Go's profiles (/debug/pprof/) of the node on this loopback address; empty: off")
	return cmd
}

func splitHostPort(s string) (string, int, error) {
	u, err := url.Parse("tcp://" + s)
	if err != nil {
		return "", 0, err
	}
	var port int
	if _, err := fmt.Sscanf(u.Port(), "%d", &port); err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q is not host:port", s)
	}
	return u.Hostname(), port, nil
}

// serverLog sends the node's log to slog; notices are info, since a node
// run by hand should say what it joined.
type serverLog struct{ log *slog.Logger }

func (l serverLog) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l serverLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLog) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLog) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLog) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLog) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
