// Command gatebench measures the /v1 API key gate through the whole
// server at a fixed request rate, with the load generator in another
// process, and prints a Markdown table.
//
//	cd bench && go run ./cmd/gatebench -runs 2
//
// For every backend the command starts itself again as a child in server
// mode (-serve), which builds the application as `spidergo serve` does
// (config.Load, app.New, a.Run on a loopback listener) on that backend:
// sqlite (keys and quota in a temporary SQLite file), postgres (keys and
// quota in PostgreSQL at -pg), redis (keys in SQLite, quota in Redis at
// -redis) or postgres+redis (keys in PostgreSQL, quota in Redis). The
// child creates a user and an API key and prints its address and the key.
//
// The parent then sends an open-loop load to each child: -conns kept-alive
// connections, request k due at start + k/rate on connection k mod conns,
// -n requests per cell after a short warm-up, GET /v1/usage with the key
// and GET /healthz (the same server and middleware chain without key or
// database: the baseline). Cells are interleaved so that a change in the
// machine's load touches all alike: in each run, for each rate, every
// backend in turn, /healthz and /v1/usage in an order that alternates
// from run to run. All children run for the whole of a run.
//
// For each cell it reports the rate achieved; p50, p99 and p99.9 of the
// latency from the time each request was due; the same for the server's
// share (from when the client actually sent, or from the due time when
// the connection was still busy with the previous answer); how late the
// client sent (lag); the server process's CPU time per request, from
// /proc/PID/stat; the client's; and the server's garbage collections a
// second.
//
// -gogc runs each backend's server once per GOGC value given ("default"
// leaves it unset), to see how much of the tail is the collector's.
// -routes limits the cells to one route, e.g. for a profile, and
// -cpuprofile DIR writes a CPU profile of every server child, and
// -server-env sets variables in the children's environment only (e.g.
// GODEBUG=gctrace=1 to see each collection on standard error).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spidergo/spidergo/bench/internal/benchutil"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux this runs on.
const clockTicks = 100

func main() {
	var (
		backends = flag.String("backends", "sqlite,postgres,redis,postgres+redis", "comma-separated backends: sqlite, postgres, redis (keys in SQLite, quota in Redis), postgres+redis")
		rates    = flag.String("rates", "500,1000,1500,2000,3000", "comma-separated request rates, requests a second in all")
		n        = flag.Int("n", 10000, "requests per cell")
		runs     = flag.Int("runs", 1, "runs of every cell, interleaved")
		conns    = flag.Int("conns", 64, "kept-alive connections")
		warm     = flag.Int("warm", 5, "warm-up requests per connection before each cell")
		gogc     = flag.String("gogc", "default", "comma-separated GOGC values for the server children (default: unset)")
		pgURL    = flag.String("pg", "postgres://postgres@127.0.0.1:5432/spidergo_bench?sslmode=disable", "PostgreSQL database for the postgres backends (it must exist; the server migrates it)")
		redisURL = flag.String("redis", "redis://127.0.0.1:6379/5", "Redis database for the redis backends")
		profile  = flag.String("cpuprofile", "", "write a CPU profile of each server child into this directory")
		routes   = flag.String("routes", "healthz,usage", "comma-separated routes to measure: healthz (the baseline), usage (GET /v1/usage through the gate)")
		extraEnv = flag.String("server-env", "", "comma-separated KEY=VALUE settings added to every server child's environment, e.g. GODEBUG=gctrace=1")

		serveMode = flag.Bool("serve", false, "internal: run the server for -backend, print its address and key, serve until standard input ends")
		backend   = flag.String("backend", "", "internal: the backend for -serve")
		profOut   = flag.String("profile-to", "", "internal: CPU profile file for -serve")
	)
	flag.Parse()
	if *serveMode {
		if err := serve(*backend, *pgURL, *redisURL, *profOut); err != nil {
			fmt.Fprintln(os.Stderr, "gatebench:", err)
			os.Exit(1)
		}
		return
	}
	o := options{
		conns: *conns, n: *n, warm: *warm, runs: max(*runs, 1),
		pgURL: *pgURL, redisURL: *redisURL, profile: *profile, env: benchutil.Split(*extraEnv),
		routes: benchutil.Split(*routes),
	}
	for _, r := range o.routes {
		if r != "healthz" && r != "usage" {
			fmt.Fprintf(os.Stderr, "gatebench: unknown route %q\n", r)
			os.Exit(2)
		}
	}
	for _, s := range benchutil.Split(*rates) {
		r, err := strconv.Atoi(s)
		if err != nil || r < 1 {
			fmt.Fprintf(os.Stderr, "gatebench: bad rate %q\n", s)
			os.Exit(2)
		}
		o.rates = append(o.rates, r)
	}
	for _, b := range benchutil.Split(*backends) {
		for _, g := range benchutil.Split(*gogc) {
			o.variants = append(o.variants, variant{backend: b, gogc: strings.TrimPrefix(g, "default")})
		}
	}
	if o.n < o.conns || len(o.rates) == 0 || len(o.variants) == 0 {
		fmt.Fprintln(os.Stderr, "gatebench: need rates, backends and -n of at least -conns")
		os.Exit(2)
	}
	start := time.Now()
	rows, err := run(o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatebench:", err)
		os.Exit(1)
	}
	printTable(os.Stdout, rows)
	fmt.Printf("\n%d requests per cell over %d connections after %d each to warm up; %d run(s); %s, GOMAXPROCS %d, %d CPUs; total %s.\n",
		o.n, o.conns, o.warm, o.runs, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), time.Since(start).Round(time.Second))
}

type options struct {
	variants       []variant
	rates          []int
	conns, n, warm int
	runs           int
	pgURL          string
	redisURL       string
	profile        string
	env            []string // added to the children's environment
	routes         []string // "healthz", "usage"
}

// variant is one server configuration: a backend and the child's GOGC
// ("" leaves it unset).
type variant struct{ backend, gogc string }

func (v variant) String() string {
	if v.gogc == "" {
		return v.backend
	}
	return v.backend + " GOGC=" + v.gogc
}

// row is one measured cell.
type row struct {
	variant variant
	route   string // "healthz" or "usage"
	rate    int    // asked for
	run     int
	cell
	serverCPU time.Duration // the server process's CPU time during the cell
	gcs       uint64        // the server's collections during the cell
	load      string        // one-minute load average before the cell
}

// run measures every cell, runs × rates × variants × routes, interleaved.
func run(o options, log io.Writer) ([]row, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var rows []row
	for r := 1; r <= o.runs; r++ {
		children := make([]*child, len(o.variants))
		stopAll := func() {
			for _, c := range children {
				if c != nil {
					c.stop()
				}
			}
		}
		for i, v := range o.variants {
			prof := ""
			if o.profile != "" {
				if err := os.MkdirAll(o.profile, 0o755); err != nil {
					stopAll()
					return nil, err
				}
				prof = filepath.Join(o.profile, fmt.Sprintf("%s-gogc%s-run%d.cpu.pprof", strings.ReplaceAll(v.backend, "+", "-"), orDefault(v.gogc, "default"), r))
			}
			c, err := startChild(exe, v, o.pgURL, o.redisURL, prof, o.env)
			if err != nil {
				stopAll()
				return nil, fmt.Errorf("%s: %w", v, err)
			}
			children[i] = c
		}
		routes := slices.Clone(o.routes)
		if r%2 == 0 {
			slices.Reverse(routes)
		}
		for _, rate := range o.rates {
			for i, v := range o.variants {
				for _, route := range routes {
					x, err := measure(children[i], route, rate, o)
					if err != nil {
						stopAll()
						return nil, fmt.Errorf("%s %s at %d/s: %w", v, route, rate, err)
					}
					x.variant, x.run = v, r
					fmt.Fprintf(log, "run %d: %-22s %-7s %5d/s: %6.0f/s, server share p99 %6.2f ms, from due p99 %6.2f ms, server %4.0f µs/req, %4.1f GC/s, load %s\n",
						r, v, route, rate, x.Rate, quantile(x.Server, 0.99), quantile(x.Lat, 0.99),
						perRequest(x.serverCPU, o.n), float64(x.gcs)/x.Elapsed.Seconds(), x.load)
					rows = append(rows, x)
				}
			}
		}
		stopAll()
	}
	return rows, nil
}

// measure runs one cell against a child.
func measure(c *child, route string, rate int, o options) (row, error) {
	req := request(c.addr, "/healthz", "")
	if route == "usage" {
		req = request(c.addr, "/v1/usage", "Bearer "+c.secret)
	}
	if c.conns == nil {
		for range o.conns {
			c.conns = append(c.conns, &conn{addr: c.addr})
		}
	}
	x := row{route: route, rate: rate, load: benchutil.LoadAverage()}
	var (
		gc0  uint64
		cpu0 time.Duration
		err  error
	)
	x.cell, err = openLoop(c.conns, req, rate, o.n, o.warm, func() (err error) {
		if gc0, err = c.gcCount(); err != nil {
			return err
		}
		cpu0, err = procCPU(c.cmd.Process.Pid)
		return err
	})
	if err != nil {
		return x, err
	}
	cpu1, err := procCPU(c.cmd.Process.Pid)
	if err != nil {
		return x, err
	}
	gc1, err := c.gcCount()
	if err != nil {
		return x, err
	}
	x.serverCPU, x.gcs = cpu1-cpu0, gc1-gc0
	return x, nil
}

// child is a server process started with -serve.
type child struct {
	cmd          *exec.Cmd
	in           io.WriteCloser
	out          *bufio.Reader
	addr, secret string
	conns        []*conn // the load's connections, kept from cell to cell
}

func startChild(exe string, v variant, pgURL, redisURL, profile string, env []string) (*child, error) {
	cmd := exec.Command(exe, "-serve", "-backend", v.backend, "-pg", pgURL, "-redis", redisURL, "-profile-to", profile)
	cmd.Env = append(os.Environ(), env...)
	if v.gogc != "" {
		cmd.Env = append(cmd.Env, "GOGC="+v.gogc)
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: in, out: bufio.NewReader(out)}
	line, err := c.out.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 2 {
		c.stop()
		return nil, fmt.Errorf("the server did not start (%q, %v)", line, err)
	}
	c.addr, c.secret = f[0], f[1]
	return c, nil
}

// gcCount asks the child how many collections it has run.
func (c *child) gcCount() (uint64, error) {
	if _, err := io.WriteString(c.in, "gc\n"); err != nil {
		return 0, err
	}
	line, err := c.out.ReadString('\n')
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(line), 10, 64)
}

// stop ends the child's input, which stops it, and waits; a child that
// does not stop in time is killed.
func (c *child) stop() {
	for _, cn := range c.conns {
		cn.close()
	}
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// procCPU is the user and system time process pid has used so far, from
// /proc/PID/stat (all its threads).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces; the fields
	// after it start with the state (field 3): utime and stime are
	// fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return time.Duration(u+st) * time.Second / clockTicks, nil
}

func perRequest(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / float64(n)
}

// printTable prints one row per cell, grouped by backend, rate and route.
func printTable(w io.Writer, rows []row) {
	rows = slices.Clone(rows)
	order := map[variant]int{}
	for _, r := range rows {
		if _, ok := order[r.variant]; !ok {
			order[r.variant] = len(order)
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := order[a.variant] - order[b.variant]; c != 0 {
			return c
		}
		if c := a.rate - b.rate; c != 0 {
			return c
		}
		if a.route != b.route {
			return strings.Compare(a.route, b.route)
		}
		return a.run - b.run
	})
	fmt.Fprintln(w, "| server | route | requests/s asked | run | achieved | from due p50 / p99 / p99.9 (ms) | server share p50 / p99 / p99.9 (ms) | client lag p50 / p99 (ms) | server CPU/req | client CPU/req | server GC/s | load |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		route := "`/v1/usage`"
		if r.route == "healthz" {
			route = "`/healthz`"
		}
		n := len(r.Lat)
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.0f | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %.2f / %.2f | %.0f µs | %.0f µs | %.1f | %s |\n",
			r.variant, route, r.rate, r.run, r.Rate,
			quantile(r.Lat, 0.5), quantile(r.Lat, 0.99), quantile(r.Lat, 0.999),
			quantile(r.Server, 0.5), quantile(r.Server, 0.99), quantile(r.Server, 0.999),
			quantile(r.Lag, 0.5), quantile(r.Lag, 0.99),
			perRequest(r.serverCPU, n), perRequest(r.ClientCPU, n),
			float64(r.gcs)/r.Elapsed.Seconds(), r.load)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
