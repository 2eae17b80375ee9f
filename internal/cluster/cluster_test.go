package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Sites is how many KPU sites the load comes from (1 national, 38
// provinces, 514 regencies and cities).
const Sites = 553

// enabled skips a test unless GARDA_CLUSTER=1, and says why.
func enabled(t *testing.T) {
	t.Helper()
	if os.Getenv("GARDA_CLUSTER") == "" {
		t.Skip("the cluster fault tests run with GARDA_CLUSTER=1 (scripts/cluster-faults.sh)")
	}
}

// long reports whether the long mode was asked for (GARDA_CLUSTER=long).
func long() bool { return os.Getenv("GARDA_CLUSTER") == "long" }

// adminURL is the machine's PostgreSQL, where the cluster's database is
// made and dropped.
func adminURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("GARDA_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("GARDA_CI") != "" {
			t.Fatal("GARDA_TEST_POSTGRES is not set: the cluster needs PostgreSQL")
		}
		t.Skip("GARDA_TEST_POSTGRES is not set: the cluster needs PostgreSQL")
	}
	return u
}

// proc is a process the cluster started.
type proc struct {
	name string
	args []string
	env  []string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	// pprof is the loopback address of its profiles (GARDA_CLUSTER_PROFILE).
	pprof string
}

func (p *proc) start(t *testing.T, bin string) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), p.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(p.done) }()
}

// profiled has p serve its profiles on a port of its own when
// GARDA_CLUSTER_PROFILE is set (the ingest figures' profiles).
func profiled(t *testing.T, p *proc) {
	if os.Getenv("GARDA_CLUSTER_PROFILE") == "" {
		return
	}
	p.pprof = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p.args = append(p.args, "--pprof-addr", p.pprof)
}

func (p *proc) alive() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill9 kills the process at once, as a machine's crash does.
func (p *proc) kill9() {
	if p.alive() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// stop interrupts the process and waits, killing it after 20 s.
func (p *proc) stop() {
	if !p.alive() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.kill9()
	}
}

// rss is the process's resident memory in bytes (0 when it is gone).
func (p *proc) rss() int64 {
	if !p.alive() {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// instance is one garda serve.
type instance struct {
	proc
	addr string
	base []string // the arguments it was first started with
}

func (i *instance) url(path string) string { return "http://" + i.addr + path }

// Cluster is three NATS nodes, PostgreSQL behind a proxy, and garda
// serve instances.
type Cluster struct {
	t        *testing.T
	dir, bin string
	dbName   string
	admin    string // the machine's PostgreSQL
	direct   string // the cluster's database, directly
	viaProxy string // the cluster's database through the proxy
	proxy    *proxy
	nats     []*proc
	natsURLs []string
	insts    []*instance
	token    string
	assets   []int64
	// pin, when set, pins instance i to CPU pin[i] (taskset).
	pin []int
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// buildGarda builds the binary under test once per run
// (GARDA_CLUSTER_BIN names one built already, e.g. an older commit's).
func buildGarda(t *testing.T, dir string) string {
	t.Helper()
	if bin := os.Getenv("GARDA_CLUSTER_BIN"); bin != "" {
		return bin
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "garda")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/garda")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build garda: %v\n%s", err, b)
	}
	return bin
}

// startCluster starts n instances over a 3-node NATS cluster and a
// database of their own, seeds an administrator and the 553 sites, and
// stops everything when the test ends.
func startCluster(t *testing.T, n int, pin []int) *Cluster {
	t.Helper()
	admin := adminURL(t)
	dir := t.TempDir()
	c := &Cluster{t: t, dir: dir, admin: admin, pin: pin}
	c.bin = buildGarda(t, dir)
	c.createDatabase()
	t.Cleanup(c.dropDatabase)
	c.startNATS()
	t.Cleanup(func() {
		for _, p := range c.nats {
			p.stop()
		}
	})
	u, _ := url.Parse(c.direct)
	c.proxy = startProxy(t, u.Host)
	pu := *u
	pu.Host = c.proxy.addr
	c.viaProxy = pu.String()
	c.garda("migrate", "--database", c.direct)
	c.seedAdmin()
	t.Cleanup(func() {
		for _, i := range c.insts {
			i.stop()
		}
	})
	for i := range n {
		c.addInstance(i)
	}
	for _, i := range c.insts {
		c.waitReady(i)
	}
	c.seedSites()
	return c
}

func (c *Cluster) createDatabase() {
	t := c.t
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.admin)
	if err != nil {
		if os.Getenv("GARDA_CI") != "" {
			t.Fatalf("PostgreSQL at %s: %v", c.admin, err)
		}
		t.Skipf("PostgreSQL at %s does not answer: %v", c.admin, err)
	}
	defer conn.Close(ctx)
	c.dbName = fmt.Sprintf("garda_cluster_%d", os.Getpid())
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+c.dbName+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+c.dbName); err != nil {
		t.Fatalf("create database %s: %v", c.dbName, err)
	}
	u, _ := url.Parse(c.admin)
	u.Path = "/" + c.dbName
	c.direct = u.String()
}

func (c *Cluster) dropDatabase() {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.admin)
	if err != nil {
		c.t.Logf("drop database %s: %v", c.dbName, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+c.dbName+" WITH (FORCE)"); err != nil {
		c.t.Logf("drop database %s: %v", c.dbName, err)
	}
}

// garda runs a command of the binary and returns its standard output.
func (c *Cluster) garda(args ...string) string {
	c.t.Helper()
	out, err := c.gardaIn("", args...)
	if err != nil {
		c.t.Fatalf("garda %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *Cluster) gardaIn(stdin string, args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

func (c *Cluster) startNATS() {
	t := c.t
	client := make([]int, 3)
	route := make([]int, 3)
	for i := range 3 {
		client[i], route[i] = freePort(t), freePort(t)
	}
	for i := range 3 {
		var routes []string
		for j := range 3 {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		p := &proc{name: fmt.Sprintf("nats-%d", i+1), log: filepath.Join(c.dir, fmt.Sprintf("nats-%d.log", i+1)),
			args: []string{"nats-node", "--name", fmt.Sprintf("n%d", i+1), "--addr", fmt.Sprintf("127.0.0.1:%d", client[i]),
				"--cluster", fmt.Sprintf("127.0.0.1:%d", route[i]), "--routes", strings.Join(routes, ","),
				"--store-dir", filepath.Join(c.dir, fmt.Sprintf("nats-%d", i+1))}}
		profiled(t, p)
		p.start(t, c.bin)
		c.nats = append(c.nats, p)
		c.natsURLs = append(c.natsURLs, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
	}
	if err := c.waitJetStream(60 * time.Second); err != nil {
		t.Fatalf("NATS cluster: %v", err)
	}
}

// waitJetStream waits until the NATS cluster has a JetStream meta leader.
func (c *Cluster) waitJetStream(d time.Duration) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		nc, err := nats.Connect(strings.Join(c.natsURLs, ","), nats.Timeout(2*time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("no JetStream after %s: %v", d, last)
}

// restartNATS starts node i again on its ports and store.
func (c *Cluster) restartNATS(i int) {
	c.nats[i].start(c.t, c.bin)
}

func (c *Cluster) addInstance(i int) {
	t := c.t
	inst := &instance{addr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	inst.name = fmt.Sprintf("garda-%d", i+1)
	inst.log = filepath.Join(c.dir, inst.name+".log")
	inst.args = []string{"serve", "--addr", inst.addr, "--data-dir", filepath.Join(c.dir, inst.name),
		"--database", c.viaProxy, "--nats", strings.Join(c.natsURLs, ","), "--nats-replicas", "3",
		"--ingest-rate", "0", "--scan-every", "0"}
	profiled(t, &inst.proc)
	inst.base = inst.args
	inst.env = []string{"GARDA_SCAN_ALLOW=127.0.0.0/8"}
	c.insts = append(c.insts, inst)
	c.startInstance(inst, i)
}

func (c *Cluster) startInstance(inst *instance, i int) {
	bin := c.bin
	if i < len(c.pin) {
		// taskset runs garda on one core; the process is garda's own
		// (taskset execs it), so kill -9 reaches it.
		args := append([]string{"-c", strconv.Itoa(c.pin[i]), c.bin}, inst.args...)
		p := &proc{name: inst.name, log: inst.log, args: args, env: inst.env}
		p.start(c.t, "/usr/bin/taskset")
		inst.proc.cmd, inst.proc.done = p.cmd, p.done
		return
	}
	inst.start(c.t, bin)
}

func (c *Cluster) waitReady(i *instance) {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if !i.alive() {
			b, _ := os.ReadFile(i.log)
			c.t.Fatalf("%s exited:\n%s", i.name, tail(b, 3000))
		}
		resp, err := http.Get(i.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	b, _ := os.ReadFile(i.log)
	c.t.Fatalf("%s not ready after 90 s:\n%s", i.name, tail(b, 3000))
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

const adminUser = "cluster.admin"

func (c *Cluster) seedAdmin() {
	if out, err := c.gardaIn("Kl4ster-Uji-Garda-2026!\n", "user", "create", "--database", c.direct, "--username", adminUser,
		"--org", "kpu", "--role", "admin", "--scope", "", "--password-stdin"); err != nil {
		c.t.Fatalf("user create: %v\n%s", err, out)
	}
	out := c.garda("token", "create", "--database", c.direct, "--username", adminUser)
	c.token = strings.TrimSpace(out)
}

// seedSites makes KPU's 553 sites as assets through the API.
func (c *Cluster) seedSites() {
	for n := range Sites {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Situs KPU %03d", n+1), "kind": "site",
			"region": "", "criticality": "high", "urls": []string{fmt.Sprintf("https://situs-%03d.kpu.test/", n+1)}})
		var a struct {
			ID int64 `json:"id"`
		}
		status, b := c.do(c.insts[n%len(c.insts)], "POST", "/api/v1/assets", body, &a)
		if status != http.StatusCreated {
			c.t.Fatalf("create site %d: %d %s", n+1, status, b)
		}
		c.assets = append(c.assets, a.ID)
	}
}

var client = &http.Client{Timeout: 60 * time.Second}

// do sends an API request as the cluster's administrator.
func (c *Cluster) do(i *instance, method, path string, body []byte, out any) (int, string) {
	return c.doAs(c.token, i, method, path, body, out)
}

// doAs sends an API request with a token.
func (c *Cluster) doAs(token string, i *instance, method, path string, body []byte, out any) (int, string) {
	req, _ := http.NewRequest(method, i.url(path), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(b, out)
	}
	return resp.StatusCode, string(b)
}

// db opens the cluster's database directly (not through the proxy).
func (c *Cluster) db() *pgx.Conn {
	c.t.Helper()
	conn, err := pgx.Connect(context.Background(), c.direct)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// holders returns the holder of each detection partition's live lease.
func (c *Cluster) holders(conn *pgx.Conn) map[string]string {
	rows, err := conn.Query(context.Background(), `SELECT name, holder FROM leases WHERE name LIKE 'detect-p%' AND expires_at > now()`)
	if err != nil {
		c.t.Logf("leases: %v", err)
		return nil
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, h string
		rows.Scan(&n, &h)
		out[n] = h
	}
	return out
}
