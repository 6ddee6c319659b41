// Package pgtest gives a test binary a PostgreSQL server: the one named
// by BRAID_PG_DSN, or else a throwaway cluster started from the local
// PostgreSQL binaries, shared by every test of the run and removed after
// it.
//
// The cluster listens only on a Unix socket in a temporary directory
// (pg_ctl's -k dir, with -h empty). Binaries are looked for in BRAID_PG_BINDIRS (a
// colon-separated list of directories, which replaces the default
// /usr/lib/postgresql/*/bin, newest version first) and then on PATH.
// initdb refuses to run as root: a root test run makes the data directory
// over to the user postgres (created with useradd --system if missing,
// as Debian's postgresql package would) and runs initdb and pg_ctl
// through runuser.
//
// Without a server, tests that need one skip, unless BRAID_PG_REQUIRED=1,
// which makes the whole run fail instead; CI sets it, so it never passes
// without these tests.
//
// Use it from TestMain: goleak.VerifyTestMain(pgtest.Main(m)).
//
// A test that stops, crashes or restarts its server, or reaches it over
// TCP, starts a cluster of its own with NewCluster, removed when the test
// ends.
package pgtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by the package.
const (
	EnvDSN      = "BRAID_PG_DSN"      // use this server instead of starting one
	EnvRequired = "BRAID_PG_REQUIRED" // "1": no server is a failure, not a skip
	EnvBinDirs  = "BRAID_PG_BINDIRS"  // where to look for initdb before PATH
)

// ErrNotFound means no PostgreSQL binaries were found.
var ErrNotFound = errors.New("pgtest: no PostgreSQL binaries (initdb, pg_ctl) found")

// The server of this test binary, set by Main's Run.
var (
	dsn     string
	local   bool
	missing error
)

// DSN returns the server's connection string, or skips t if there is no
// server.
func DSN(t testing.TB) string {
	t.Helper()
	if dsn == "" {
		t.Skipf("no PostgreSQL: %v", missing)
	}
	return dsn
}

// Local reports whether the server is the throwaway cluster this run
// started, whose backends are processes of this machine that a test may
// signal.
func Local() bool { return local }

// Main wraps m so that its Run starts the server first and stops it
// after the tests, for goleak.VerifyTestMain(pgtest.Main(m)), which checks
// for leaked goroutines once Run has returned.
func Main(m *testing.M) interface{ Run() int } { return mainRun{m} }

type mainRun struct{ m *testing.M }

func (r mainRun) Run() int {
	stop, err := start()
	if err != nil {
		if os.Getenv(EnvRequired) == "1" {
			fmt.Fprintf(os.Stderr, "FAIL: %s=1 and no PostgreSQL could be used: %v\n", EnvRequired, err)
			return 1
		}
		missing = err
		fmt.Fprintf(os.Stderr, "%v; tests that need PostgreSQL skip (set %s=1 to fail instead)\n", err, EnvRequired)
		skipExamples()
	}
	defer stop()
	return r.m.Run()
}

// skipExamples keeps examples, which cannot skip, from running without a
// server, unless the command line chose what to run.
func skipExamples() {
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		_ = f.Value.Set("^Test")
	}
}

// start sets dsn from the environment or a new cluster, and returns what
// stops the cluster.
func start() (func(), error) {
	if d := os.Getenv(EnvDSN); d != "" {
		if err := ping(d); err != nil {
			return func() {}, err
		}
		dsn = d
		return func() {}, nil
	}
	bin, err := findBin()
	if err != nil {
		return func() {}, err
	}
	c, err := newCluster(bin)
	if err != nil {
		return func() {}, err
	}
	dsn, local = c.dsn(), true
	_ = os.Setenv(EnvDSN, dsn) // for the worker processes tests start
	return func() {
		_ = os.Unsetenv(EnvDSN)
		c.remove()
	}, nil
}

// findBin returns the directory holding initdb and pg_ctl.
func findBin() (string, error) {
	var dirs []string
	if env, ok := os.LookupEnv(EnvBinDirs); ok {
		dirs = filepath.SplitList(env)
	} else {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
		dirs = found
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNotFound
}

// version is the major version in a path like /usr/lib/postgresql/15/bin.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func isExec(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// ping connects to the server once, for at most 10 s.
func ping(dsn string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	return c.Close(ctx)
}

// cluster is a throwaway PostgreSQL cluster in a temporary directory.
type cluster struct {
	bin, dir string
	asUser   string // run initdb and pg_ctl as this user ("" as ourselves)
}

func newCluster(bin string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "braid-pg-")
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir}
	if err := c.init(); err != nil {
		c.remove()
		return nil, err
	}
	return c, nil
}

func (c *cluster) dsn() string {
	return fmt.Sprintf("host=%s user=postgres dbname=postgres sslmode=disable", c.dir)
}

func (c *cluster) init() error {
	// Only a Unix socket, in our directory; enough connections for the
	// cross-process tests; fsync off, as the data is thrown away (a crash
	// of the server alone loses nothing the kernel was given).
	return c.initWith(fmt.Sprintf("-k %s -h '' -c max_connections=200 -c fsync=off", c.dir))
}

// initWith creates the cluster and starts it with the server options opts.
func (c *cluster) initWith(opts string) error {
	if os.Geteuid() == 0 {
		if err := c.chownToPostgres(); err != nil {
			return err
		}
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"); err != nil {
		return err
	}
	return c.start(opts)
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) start(opts string) error {
	return c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
}

// chownToPostgres makes the directory over to the user postgres, whom
// initdb accepts, creating the user if missing.
func (c *cluster) chownToPostgres() error {
	u, err := user.Lookup("postgres")
	if err != nil {
		if out, err := exec.Command("useradd", "--system", "--user-group", "--no-create-home", "postgres").CombinedOutput(); err != nil {
			return fmt.Errorf("pgtest: useradd postgres: %v: %s", err, out)
		}
		if u, err = user.Lookup("postgres"); err != nil {
			return err
		}
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c.asUser = "postgres"
	return os.Chown(c.dir, uid, gid)
}

// run runs one of the server's programs, as asUser if set.
func (c *cluster) run(prog string, args ...string) error {
	path := filepath.Join(c.bin, prog)
	cmd := exec.Command(path, args...)
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s %s: %v\n%s%s", prog, strings.Join(args, " "), err, out, c.log())
	}
	return nil
}

func (c *cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// remove stops the server at once and deletes the cluster.
func (c *cluster) remove() {
	data := filepath.Join(c.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		if err := c.run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	_ = os.RemoveAll(c.dir)
}

// Cluster is a throwaway cluster that one test owns, for tests that stop,
// crash or restart the server, or reach it over TCP, which the shared
// cluster must never be put through.
type Cluster struct {
	c    *cluster
	port int
	opts string
}

// NewCluster starts a cluster of its own for t, removed when t ends. It
// listens on a Unix socket, like the shared one, and, if tcp, on
// 127.0.0.1 too. settings are server options ("name=value"), given with
// -c at every start. It skips t (or fails it, under BRAID_PG_REQUIRED=1)
// without PostgreSQL binaries, and skips it if BRAID_PG_DSN names a
// server, which a test cannot restart.
func NewCluster(t testing.TB, tcp bool, settings ...string) *Cluster {
	t.Helper()
	if !local {
		t.Skip("needs a local PostgreSQL of its own")
	}
	bin, err := findBin()
	if err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClusterOn(bin, port, tcp, settings)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.c.remove)
	return c
}

// newClusterOn starts a Cluster listening on port.
func newClusterOn(bin string, port int, tcp bool, settings []string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "braid-pg-")
	if err != nil {
		return nil, err
	}
	host := "''"
	if tcp {
		host = "127.0.0.1"
	}
	opts := fmt.Sprintf("-k %s -h %s -p %d -c max_connections=100 -c fsync=off", dir, host, port)
	for _, s := range settings {
		opts += " -c " + s
	}
	c := &Cluster{c: &cluster{bin: bin, dir: dir}, port: port, opts: opts}
	if err := c.c.initWith(opts); err != nil {
		c.c.remove()
		return nil, err
	}
	return c, nil
}

// DSN is the cluster's connection string over its Unix socket.
func (c *Cluster) DSN() string { return fmt.Sprintf("%s port=%d", c.c.dsn(), c.port) }

// TCPAddr is the cluster's TCP address ("127.0.0.1:port"), if it listens
// on TCP.
func (c *Cluster) TCPAddr() string { return fmt.Sprintf("127.0.0.1:%d", c.port) }

// Stop stops the server; mode is pg_ctl's: "immediate" is a crash,
// which loses what was not yet written to the WAL on disk; "fast" ends
// every session and shuts down cleanly.
func (c *Cluster) Stop(t testing.TB, mode string) {
	t.Helper()
	if err := c.c.run("pg_ctl", "-D", c.c.data(), "-m", mode, "-w", "stop"); err != nil {
		t.Fatal(err)
	}
}

// Start starts the stopped server again, with the same options.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if err := c.c.start(c.opts); err != nil {
		t.Fatal(err)
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }() // closing is not what the test checks
	return l.Addr().(*net.TCPAddr).Port, nil
}
