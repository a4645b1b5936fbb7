package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/alecthomas/kong"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/client"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/mcp"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

type mcpCLI struct {
	MCP mcpCmd `cmd:"" name:"mcp" help:"Serve SpiderGo's tools to an MCP client (Claude Desktop, Cursor, VS Code…) over standard input and output."`
}

type mcpCmd struct {
	APIURL string        `name:"api-url" placeholder:"URL" help:"SpiderGo server to run the tools on instead of locally (or SPIDERGO_API_URL)."`
	APIKey string        `name:"api-key" placeholder:"KEY" help:"API key for --api-url (or SPIDERGO_API_KEY)."`
	Allow  []string      `name:"allow" placeholder:"CIDR|HOST:PORT" help:"Local mode: let the fetcher reach this private address range or host:port (repeatable)."`
	DB     string        `name:"db" placeholder:"FILE" help:"Local mode: keep jobs in this SQLite file (default: a temporary one, removed at exit)."`
	Poll   time.Duration `default:"1s" hidden:"" help:"How often a tool waiting for a job looks at it."`
}

func (mcpCmd) Help() string {
	return `Tools: scrape, crawl, crawl_status, cancel, map, batch_scrape (docs/mcp.md).
Logs go to standard error; standard output carries the protocol only.

Examples:

  spidergo mcp
  SPIDERGO_API_URL=https://spidergo.example.com SPIDERGO_API_KEY=sk_live_… spidergo mcp`
}

// cmdMCP serves the MCP tools over stdio until the client closes its end
// or ctx ends.
func cmdMCP(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	var cli mcpCLI
	parser, err := kong.New(&cli, kong.Name("spidergo"), kong.Writers(stderr, stderr),
		kong.Exit(func(c int) { panic(exitPanic(c)) }), kong.ConfigureHelp(kong.HelpOptions{Compact: true}))
	if err != nil {
		fmt.Fprintln(stderr, "spidergo:", err)
		return exitFailed
	}
	defer recoverExit(&code)
	if _, err := parser.Parse(append([]string{"mcp"}, args...)); err != nil {
		fmt.Fprintf(stderr, "spidergo mcp: %v (spidergo mcp --help)\n", err)
		return exitUsage
	}
	c := &cli.MCP
	r := &runner{env: env, stderr: stderr}
	url, key, err := r.remote(&modeFlags{APIURL: c.APIURL, APIKey: c.APIKey, Allow: c.Allow})
	if err == nil && url != "" && c.DB != "" {
		err = usagef("--db is for local mode")
	}
	if err != nil {
		return r.fail("mcp", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var backend mcp.Backend
	if url != "" {
		cl, err := client.New(url, key, client.WithUserAgent("spidergo-mcp/"+spidergo.Version))
		if err != nil {
			return r.fail("mcp", usagef("--api-url: %v", err))
		}
		backend = &mcp.ClientBackend{C: cl}
	} else {
		b, closeLocal, err := localMCP(ctx, c, log)
		if err != nil {
			return r.fail("mcp", err)
		}
		defer closeLocal()
		backend = b
	}
	srv := mcp.NewServer(mcp.Config{Version: spidergo.Version, Poll: c.Poll,
		Backend: func(context.Context, *sdk.CallToolRequest) (mcp.Backend, error) { return backend, nil }})
	t := &sdk.IOTransport{Reader: io.NopCloser(stdin), Writer: nopWriteCloser{stdout}}
	if err := srv.Run(ctx, t); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
		fmt.Fprintf(stderr, "spidergo mcp: %v\n", err)
		return exitFailed
	}
	return exitOK
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// localMCP runs the tools in this process: the server's engine, fetcher
// and job service over a SQLite file, for one local user.
func localMCP(ctx context.Context, c *mcpCmd, log *slog.Logger) (mcp.Backend, func(), error) {
	path, tmp := c.DB, ""
	if path == "" {
		dir, err := os.MkdirTemp("", "spidergo-mcp-")
		if err != nil {
			return nil, nil, err
		}
		tmp, path = dir, filepath.Join(dir, "jobs.db")
	}
	cleanup := func() {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}
	db, err := sqlstore.Open(ctx, "sqlite:"+path)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("--db: %w", err)
	}
	f, err := fetch.New(fetch.Config{UserAgent: "SpiderGo/" + spidergo.Version + " (+https://github.com/spidergo/spidergo)", Allow: c.Allow})
	if err != nil {
		db.Close()
		cleanup()
		return nil, nil, usagef("--allow: %v", err)
	}
	docs := document.New(document.Config{})
	engine := crawl.NewEngine(crawl.EngineConfig{Fetcher: f, Cache: db, Documents: docs})
	jobs := crawl.NewJobs(crawl.JobsConfig{Store: db, Engine: engine, Log: log,
		Normalize: crawl.CheckUserURL(f)})
	user, err := localUser(ctx, db)
	if err == nil {
		err = jobs.Resume(ctx)
	}
	if err != nil {
		jobs.Close()
		docs.Close()
		db.Close()
		cleanup()
		return nil, nil, err
	}
	return &mcp.JobsBackend{Jobs: jobs, Actor: crawl.Actor{UserID: user}}, func() {
		jobs.Close()
		f.CloseIdleConnections()
		docs.Close()
		db.Close()
		cleanup()
	}, nil
}

// localEmail names the one user of a local MCP database.
const localEmail = "mcp@localhost"

// localUser returns the local user's id, creating the user in a new
// database.
func localUser(ctx context.Context, db *sqlstore.DB) (string, error) {
	if u, err := db.UserByEmail(ctx, localEmail); err == nil {
		return u.ID, nil
	} else if spidergo.ErrorCode(err) != spidergo.ENOTFOUND {
		return "", err
	}
	u := &spidergo.User{Email: localEmail, FirstName: "Local", IsVerified: true}
	if err := db.CreateUser(ctx, u); err != nil {
		return "", err
	}
	return u.ID, nil
}
