package sitefarm

import (
	"net"

	"golang.org/x/sys/unix"
)

// closedByPeer reports whether the scanner has closed c already (its FIN
// arrived: the socket is no longer ESTABLISHED) though the server has not
// yet read the end of it.
func closedByPeer(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	if err := rc.Control(func(fd uintptr) {
		info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		closed = err == nil && info.State != tcpEstablished
	}); err != nil {
		// The server closed it itself and has not yet said so (http.Server
		// closes the socket before its StateClosed hook runs, which a busy
		// machine runs late): not open either.
		return true
	}
	return closed
}

// tcpEstablished is Linux's TCP_ESTABLISHED (include/net/tcp_states.h).
const tcpEstablished = 1
