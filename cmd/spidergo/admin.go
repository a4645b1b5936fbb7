package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// adminCmd is what the operator commands that work on the database
// directly (spidergo user, spidergo key) share: the environment, where
// they write, the --database-url flag every subcommand takes and the
// configuration once read.
type adminCmd struct {
	name           string // the command: "user", "key"
	env            func(string) string
	stdout, stderr io.Writer
	databaseURL    string
	cfg            *config.Config
}

// errFlags reports a flag error the flag package already printed.
var errFlags = errors.New("bad flags")

// usageError is a mistake in the command line (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

// run runs the subcommand named by args[0] with the rest of args and
// returns the exit status: 0, 1 when the subcommand failed, 2 for a
// mistake in the command line. usage is printed for help and unknown
// subcommands; message tells the operator about a failure.
func (c *adminCmd) run(ctx context.Context, args []string, usage string, subs map[string]func(context.Context, []string) error, message func(error) string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "spidergo %s: unknown command %q\n\n%s", c.name, args[0], usage)
		return 2
	}
	err := sub(ctx, args[1:])
	var bad usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errFlags):
		return 2 // the flag package has said what is wrong
	case errors.As(err, &bad):
		fmt.Fprintf(c.stderr, "spidergo %s %s: %v\n", c.name, args[0], err)
		return 2
	}
	fmt.Fprintf(c.stderr, "spidergo %s %s: %s\n", c.name, args[0], message(err))
	return 1
}

// flags returns the flag set of the subcommand name, with --database-url.
func (c *adminCmd) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("spidergo "+c.name+" "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.StringVar(&c.databaseURL, "database-url", "", "sqlite:PATH or postgres://… (default SPIDERGO_DATABASE_URL)")
	return fs
}

// parse parses flags wherever they stand among the arguments (std flag
// stops at the first argument) and returns the arguments. Everything after
// "--" is an argument.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errFlags
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return append(pos, rest...), nil
}

// parseFlags is parse for subcommands that take flags and no arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	return nil
}

// config reads the configuration from the environment, once.
func (c *adminCmd) config() (*config.Config, error) {
	if c.cfg == nil {
		cfg, err := config.Load(nil, c.env, io.Discard)
		if err != nil {
			return nil, err
		}
		c.cfg = cfg
	}
	return c.cfg, nil
}

// open connects to the database --database-url names, else the configured
// one, and migrates it, so that the first command on a fresh install
// works. With --database-url the rest of the configuration is not read.
func (c *adminCmd) open(ctx context.Context) (*sqlstore.DB, error) {
	u := c.databaseURL
	if u == "" {
		cfg, err := c.config()
		if err != nil {
			return nil, err
		}
		u = cfg.DatabaseURL
	}
	return sqlstore.Open(ctx, u)
}

// openConfigured is open for subcommands that need more settings than the
// database URL: it reads the configuration first, also when --database-url
// is given, and returns it with the database.
func (c *adminCmd) openConfigured(ctx context.Context) (*sqlstore.DB, *config.Config, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, nil, err
	}
	db, err := c.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return db, cfg, nil
}

// printJSON writes v to stdout as indented JSON.
func (c *adminCmd) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
