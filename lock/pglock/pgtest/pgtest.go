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
package pgtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	if os.Geteuid() == 0 {
		if err := c.chownToPostgres(); err != nil {
			return err
		}
	}
	data := filepath.Join(c.dir, "data")
	if err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"); err != nil {
		return err
	}
	// Only a Unix socket, in our directory; enough connections for the
	// cross-process tests; fsync off, as the data is thrown away.
	opts := fmt.Sprintf("-k %s -h '' -c max_connections=200 -c fsync=off", c.dir)
	return c.run("pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
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
