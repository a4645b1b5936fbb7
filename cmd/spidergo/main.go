// Command spidergo is SpiderGo's one binary: the server and its admin and
// client commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/app"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

const usage = `usage: spidergo <command> [flags]

commands:
  scrape    fetch one page and print it as Markdown, text, JSON or links
  crawl     crawl a site and print or save its pages
  map       list a site's URLs
  batch     scrape every URL of a file
  serve     run the server (spidergo serve --help lists every setting)
  migrate   apply database migrations and exit
  key       manage API keys: create, list, revoke (spidergo key --help)
  user      manage accounts: create, list, delete (spidergo user --help)
  version   print the version
  completion  print a shell completion script: bash, zsh or fish
  mcp       serve the scrape, crawl and map tools to an MCP client over stdio

scrape, crawl, map and batch run here by default (no server, no account);
with --api-url and --api-key (or SPIDERGO_API_URL and SPIDERGO_API_KEY) they
run on a SpiderGo server. spidergo <command> --help shows every flag.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand; it returns the process exit code.
type command func(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int

func commands() map[string]command {
	return map[string]command{
		"serve":      cmdServe,
		"migrate":    cmdMigrate,
		"key":        cmdKey,
		"user":       cmdUser,
		"version":    cmdVersion,
		"scrape":     clientCommand("scrape"),
		"crawl":      clientCommand("crawl"),
		"map":        clientCommand("map"),
		"batch":      clientCommand("batch"),
		"completion": cmdCompletion,
		"mcp":        cmdMCP,
	}
}

func run(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	config.SetVersion(spidergo.Version)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "spidergo: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd(ctx, args[1:], env, stdin, stdout, stderr)
}

func cmdVersion(_ context.Context, _ []string, _ func(string) string, _ io.Reader, stdout, _ io.Writer) int {
	commit := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				commit = s.Value
			}
		}
	}
	fmt.Fprintf(stdout, "spidergo %s (commit %s, %s)\n", spidergo.Version, commit, runtime.Version())
	return 0
}

// loadConfig reads the configuration, printing one clear line on error.
func loadConfig(args []string, env func(string) string, stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load(args, env, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		fmt.Fprintln(stderr, "spidergo:", err)
		return nil, 2
	}
	return cfg, -1
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func cmdMigrate(ctx context.Context, args []string, env func(string) string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(args, env, stderr)
	if cfg == nil {
		return code
	}
	db, err := sqlstore.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		fmt.Fprintln(stderr, "spidergo: migrate:", err)
		return 1
	}
	db.Close()
	fmt.Fprintln(stdout, "database is up to date")
	return 0
}

func cmdServe(ctx context.Context, args []string, env func(string) string, _ io.Reader, _, stderr io.Writer) int {
	cfg, code := loadConfig(args, env, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(cfg, stderr)
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "spidergo:", err)
		return 1
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintln(stderr, "spidergo: listen:", err)
		return 1
	}
	log.Info("SpiderGo listening", "addr", ln.Addr().String(), "version", spidergo.Version, "database", dbKind(cfg.DatabaseURL), "role", cfg.Role)
	if err := a.Run(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "spidergo: serve:", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

func dbKind(u string) string {
	if len(u) >= 7 && u[:7] == "sqlite:" {
		return "sqlite"
	}
	return "postgres"
}
