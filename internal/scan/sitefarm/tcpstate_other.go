//go:build !linux

package sitefarm

import "net"

// closedByPeer: without Linux's TCP_INFO, a connection is open until the
// server reads its end.
func closedByPeer(net.Conn) bool { return false }
