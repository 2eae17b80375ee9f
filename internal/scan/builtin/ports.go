package builtin

import (
	"context"
	"net"
	"strconv"
	"sync"

	"github.com/garda-id/garda/internal/scan"
)

// Ports is a TCP connect scan of the ports most often found open (nmap's
// top ports, trimmed), reporting what should never face the Internet. It
// knocks on ports nobody linked, so it is active. Politeness (how many at
// once, how fast) is the Fetcher's, through env.Dial.
type Ports struct {
	List []int // nil: CommonPorts
}

// CommonPorts: ~100 TCP ports (nmap-services' most frequent, plus the
// databases and control planes that leak data when exposed).
var CommonPorts = []int{
	7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106, 110, 111, 113, 119, 135,
	139, 143, 144, 179, 199, 389, 427, 443, 444, 445, 465, 513, 514, 515, 543, 544, 548, 554, 587, 631,
	636, 646, 873, 990, 993, 995, 1025, 1080, 1433, 1521, 1723, 1883, 2049, 2121, 2375, 2376, 2379, 3000, 3128, 3306,
	3389, 4443, 5000, 5060, 5432, 5601, 5672, 5800, 5900, 5984, 6000, 6379, 6443, 7001, 8000, 8008, 8080, 8081, 8088, 8443,
	8888, 9000, 9042, 9090, 9100, 9200, 9300, 9418, 10000, 10250, 11211, 15672, 27017, 27018, 50000, 50070,
}

// riskyPort is what an open port means when the Internet can reach it.
type riskyPort struct {
	service  string
	severity scan.Severity
}

var riskyPorts = map[int]riskyPort{
	21:    {"ftp (cleartext credentials)", scan.SeverityMedium},
	23:    {"telnet (cleartext remote shell)", scan.SeverityHigh},
	111:   {"rpcbind", scan.SeverityMedium},
	135:   {"msrpc", scan.SeverityMedium},
	139:   {"netbios-ssn (SMB)", scan.SeverityHigh},
	445:   {"microsoft-ds (SMB)", scan.SeverityHigh},
	1433:  {"mssql database", scan.SeverityHigh},
	1521:  {"oracle database", scan.SeverityHigh},
	2049:  {"nfs", scan.SeverityHigh},
	2375:  {"docker API without TLS (remote root)", scan.SeverityCritical},
	2379:  {"etcd", scan.SeverityHigh},
	3306:  {"mysql database", scan.SeverityHigh},
	3389:  {"rdp", scan.SeverityMedium},
	5432:  {"postgresql database", scan.SeverityHigh},
	5900:  {"vnc", scan.SeverityHigh},
	5984:  {"couchdb", scan.SeverityHigh},
	6379:  {"redis", scan.SeverityHigh},
	9042:  {"cassandra", scan.SeverityHigh},
	9200:  {"elasticsearch", scan.SeverityHigh},
	10250: {"kubelet API", scan.SeverityHigh},
	11211: {"memcached", scan.SeverityHigh},
	27017: {"mongodb", scan.SeverityHigh},
	27018: {"mongodb", scan.SeverityHigh},
}

var (
	portRisky = meta{ID: "garda-port-exposed-service", Name: "Layanan berisiko terbuka (exposed risky service)",
		Tags: []string{"network", "ports"}, Remedy: "Close the port to the Internet (firewall, bind to a private address)."}
	portOpen = meta{ID: "garda-port-open", Name: "Port terbuka (open port)", Severity: scan.SeverityInfo, Tags: []string{"network", "ports"}}
)

func (Ports) ID() string   { return "garda-ports" }
func (Ports) Active() bool { return true }

func (p Ports) Run(ctx context.Context, env *scan.Env, t scan.Target, emit func(scan.Result)) error {
	s, err := parseTarget(t)
	if err != nil {
		return err
	}
	list := p.List
	if list == nil {
		list = CommonPorts
	}
	// No timeout of its own: waiting for the host's slots and rate is not
	// a closed port; the Fetcher's dial limit bounds each connect.
	var mu sync.Mutex
	var wg sync.WaitGroup
	open := map[int]bool{}
	ports := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for port := range ports {
				c, err := env.Dial(ctx, "tcp", net.JoinHostPort(s.host, strconv.Itoa(port)))
				if err != nil {
					continue
				}
				c.Close()
				mu.Lock()
				open[port] = true
				mu.Unlock()
			}
		}()
	}
	for _, port := range list {
		ports <- port
	}
	close(ports)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, port := range list {
		if !open[port] {
			continue
		}
		at := net.JoinHostPort(s.host, strconv.Itoa(port))
		var r scan.Result
		if rp, ok := riskyPorts[port]; ok {
			m := portRisky
			m.Severity = rp.severity
			r = result(env, s, m, at, "port="+strconv.Itoa(port), "service="+rp.service)
		} else {
			r = result(env, s, portOpen, at, "port="+strconv.Itoa(port))
		}
		r.Type, r.Port = "tcp", strconv.Itoa(port)
		r.MatcherName = strconv.Itoa(port)
		emit(r)
	}
	return nil
}
