package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

const keyUsage = `usage: spidergo key <command> [flags]

commands:
  create --user EMAIL --name NAME [--daily-limit N]
         create an API key for an account and print it, once, on stdout
  list --user EMAIL [--include-revoked] [--json]
         list an account's keys (never the keys themselves)
  revoke ID
         revoke a key; the next request with it is refused

Every command takes --database-url (default: SPIDERGO_DATABASE_URL, else
sqlite:spidergo.db). The key limit per account and the default daily limit
come from SPIDERGO_API_KEY_MAX_PER_USER and SPIDERGO_API_KEY_DAILY_LIMIT.
Flags may come before or after arguments.
`

// cmdKey manages API keys directly in the database, for operators: keys
// for service accounts, keys with a larger daily limit, emergency
// revocation.
func cmdKey(ctx context.Context, args []string, env func(string) string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, keyUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, ok := map[string]func(*keyCmd, context.Context, []string) error{
		"create": (*keyCmd).create,
		"list":   (*keyCmd).list,
		"revoke": (*keyCmd).revoke,
	}[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "spidergo key: unknown command %q\n\n%s", args[0], keyUsage)
		return 2
	}
	c := &keyCmd{env: env, stdout: stdout, stderr: stderr}
	err := sub(c, ctx, args[1:])
	var bad keyUsageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errKeyFlags):
		return 2 // the flag package has said what is wrong
	case errors.As(err, &bad):
		fmt.Fprintf(stderr, "spidergo key %s: %v\n", args[0], err)
		return 2
	}
	var e *spidergo.Error
	if errors.As(err, &e) {
		fmt.Fprintf(stderr, "spidergo key %s: %s\n", args[0], e.Message)
	} else {
		fmt.Fprintf(stderr, "spidergo key %s: %v\n", args[0], err)
	}
	return 1
}

type keyCmd struct {
	env            func(string) string
	stdout, stderr io.Writer
	databaseURL    string
	cfg            *config.Config
}

// errKeyFlags reports a flag error the flag package already printed.
var errKeyFlags = errors.New("bad flags")

// keyUsageError is a mistake in the command line (exit status 2).
type keyUsageError string

func (e keyUsageError) Error() string { return string(e) }

func (c *keyCmd) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("spidergo key "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.StringVar(&c.databaseURL, "database-url", "", "sqlite:PATH or postgres://… (default SPIDERGO_DATABASE_URL)")
	return fs
}

// parseKeyArgs parses flags wherever they stand among the arguments (std
// flag stops at the first argument) and returns the arguments.
func parseKeyArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errKeyFlags
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// open reads the configuration and connects to the database, migrating
// it so that the first command on a fresh install works.
func (c *keyCmd) open(ctx context.Context) (*sqlstore.DB, error) {
	cfg, err := config.Load(nil, c.env, io.Discard)
	if err != nil {
		return nil, err
	}
	c.cfg = cfg
	u := c.databaseURL
	if u == "" {
		u = cfg.DatabaseURL
	}
	return sqlstore.Open(ctx, u)
}

// owner finds the account an --user flag names.
func owner(ctx context.Context, db *sqlstore.DB, email string) (*spidergo.User, error) {
	u, err := db.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, spidergo.ErrNotFound) {
		return nil, fmt.Errorf("no account with email %q", email)
	}
	return u, err
}

func (c *keyCmd) create(ctx context.Context, args []string) error {
	fs := c.flags("create")
	email := fs.String("user", "", "email of the account that owns the key (required)")
	name := fs.String("name", "", "a name that tells the key apart, 1–100 characters (required)")
	limit := fs.Int("daily-limit", 0, "requests per UTC day (default SPIDERGO_API_KEY_DAILY_LIMIT)")
	pos, err := parseKeyArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return keyUsageError(fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if *email == "" || *name == "" {
		return keyUsageError("--user and --name are required")
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "daily-limit" })
	if given && *limit < 1 {
		return keyUsageError("--daily-limit must be 1 or more")
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if !given {
		*limit = c.cfg.APIKeyDailyLimit
	}
	u, err := owner(ctx, db, *email)
	if err != nil {
		return err
	}
	k, secret, err := spidergo.NewAPIKey(u.ID, *name, *limit)
	if err != nil {
		return err
	}
	if err := db.CreateAPIKey(ctx, k, c.cfg.APIKeyMaxPerUser); err != nil {
		return err
	}
	// The key alone goes to stdout, so that scripts can capture it;
	// everything said about it goes to stderr.
	fmt.Fprintln(c.stdout, secret)
	fmt.Fprintf(c.stderr, "created API key %s (%q, …%s, %d requests a day) for %s\nStore it securely now; it will not be shown again.\n",
		k.ID, k.Name, k.Last4, k.DailyLimit, u.Email)
	return nil
}

func (c *keyCmd) list(ctx context.Context, args []string) error {
	fs := c.flags("list")
	email := fs.String("user", "", "email of the account (required)")
	all := fs.Bool("include-revoked", false, "list revoked keys too")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	pos, err := parseKeyArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return keyUsageError(fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if *email == "" {
		return keyUsageError("--user is required")
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := owner(ctx, db, *email)
	if err != nil {
		return err
	}
	keys, err := db.ListAPIKeys(ctx, u.ID, *all)
	if err != nil {
		return err
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	if *asJSON {
		type row struct {
			KeyID      string `json:"key_id"`
			Name       string `json:"name"`
			Last4      string `json:"last4"`
			DailyLimit int    `json:"daily_limit"`
			IsActive   bool   `json:"is_active"`
			CreatedAt  string `json:"created_at"`
			LastUsedAt string `json:"last_used_at,omitempty"`
			RevokedAt  string `json:"revoked_at,omitempty"`
		}
		rows := []row{}
		for _, k := range keys {
			rows = append(rows, row{k.ID, k.Name, k.Last4, k.DailyLimit, k.IsActive, stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt)})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKEY\tDAILY LIMIT\tSTATUS\tCREATED\tLAST USED")
	for _, k := range keys {
		status := "active"
		if !k.IsActive {
			status = "revoked " + stamp(k.RevokedAt)
		}
		used := stamp(k.LastUsedAt)
		if used == "" {
			used = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s…%s\t%d\t%s\t%s\t%s\n", k.ID, k.Name, spidergo.APIKeyPrefix, k.Last4, k.DailyLimit, status, stamp(k.CreatedAt), used)
	}
	return tw.Flush()
}

func (c *keyCmd) revoke(ctx context.Context, args []string) error {
	fs := c.flags("revoke")
	pos, err := parseKeyArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return keyUsageError("name one key to revoke: spidergo key revoke ID")
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := db.APIKeyByID(ctx, pos[0])
	if errors.Is(err, spidergo.ErrNotFound) {
		return fmt.Errorf("no API key with id %q", pos[0])
	}
	if err != nil {
		return err
	}
	if k, err = db.RevokeAPIKey(ctx, k.UserID, k.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked API key %s (%q, …%s)\n", k.ID, k.Name, k.Last4)
	return nil
}
