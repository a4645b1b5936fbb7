package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/app"
	"github.com/spidergo/spidergo/internal/config"
)

// serverEnv is the configuration of the server for a backend: the
// database (a SQLite file in dir, or pgURL) and, for the Redis backends,
// the quota in Redis at redisURL. The daily limit is raised so that no
// run of the benchmark exhausts a key.
func serverEnv(backend, dir, pgURL, redisURL string) (map[string]string, error) {
	env := map[string]string{
		"SPIDERGO_DATABASE_URL":        "sqlite:" + filepath.Join(dir, "spidergo.db"),
		"SPIDERGO_API_KEY_DAILY_LIMIT": "1000000000",
		"SPIDERGO_CHROMIUM_PATH":       filepath.Join(dir, "no-browser"),
		"SPIDERGO_LOG_LEVEL":           "error",
	}
	switch backend {
	case "sqlite":
	case "postgres":
		env["SPIDERGO_DATABASE_URL"] = pgURL
	case "redis":
		env["SPIDERGO_REDIS_URL"] = redisURL
	case "postgres+redis":
		env["SPIDERGO_DATABASE_URL"] = pgURL
		env["SPIDERGO_REDIS_URL"] = redisURL
	default:
		return nil, fmt.Errorf("unknown backend %q", backend)
	}
	return env, nil
}

// server is a running SpiderGo application with a user and an API key.
type server struct {
	Addr   string // host:port of its listener
	Secret string // the API key
	stop   func() error
}

// startServer builds the whole application as `spidergo serve` does
// (config.Load, app.New, a.Run on a loopback listener), creates a user and
// a key, and serves until Close.
func startServer(ctx context.Context, backend, pgURL, redisURL string) (*server, error) {
	dir, err := os.MkdirTemp("", "gatebench-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	env, err := serverEnv(backend, dir, pgURL, redisURL)
	if err != nil {
		return fail(err)
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		return fail(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return fail(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	s := &server{Addr: ln.Addr().String()}
	s.stop = func() error {
		cancel()
		err := <-done
		a.Close()
		os.RemoveAll(dir)
		return err
	}
	// A fresh address each time: a PostgreSQL database outlives the run.
	email := fmt.Sprintf("gatebench-%d-%d@spidergo.invalid", os.Getpid(), time.Now().UnixNano())
	user := &spidergo.User{Email: email, FirstName: "Bench", IsVerified: true}
	if err := a.Store.CreateUser(ctx, user); err != nil {
		s.stop()
		return nil, err
	}
	if _, s.Secret, err = a.Keys.Create(ctx, user.ID, "gatebench"); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// Close stops the server and removes its files.
func (s *server) Close() error { return s.stop() }

// serve is the child: it starts the server, prints its address and key on
// one line, then answers "gc" on its standard input with the number of
// garbage collections so far, and stops when its input ends.
func serve(backend, pgURL, redisURL, cpuProfile string) error {
	ctx := context.Background()
	s, err := startServer(ctx, backend, pgURL, redisURL)
	if err != nil {
		return err
	}
	defer s.Close()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%s %s\n", s.Addr, s.Secret)
	in := bufio.NewScanner(os.Stdin)
	sample := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	for in.Scan() {
		if strings.TrimSpace(in.Text()) == "gc" {
			metrics.Read(sample)
			fmt.Println(sample[0].Value.Uint64())
		}
	}
	return in.Err()
}
