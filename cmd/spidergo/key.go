package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/apikey"
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
	c := &keyCmd{adminCmd{name: "key", env: env, stdout: stdout, stderr: stderr}}
	return c.run(ctx, args, keyUsage, map[string]func(context.Context, []string) error{
		"create": c.create,
		"list":   c.list,
		"revoke": c.revoke,
	}, keyError)
}

// keyCmd's subcommands read the whole configuration, also when
// --database-url names the database: create takes the key limits from it.
type keyCmd struct {
	adminCmd
}

// keyError shows domain errors by their client message and anything else
// as is.
func keyError(err error) string {
	var e *spidergo.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return usageError("--user and --name are required")
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "daily-limit" })
	if given && *limit < 1 {
		return usageError("--daily-limit must be 1 or more")
	}
	db, cfg, err := c.openConfigured(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if !given {
		*limit = cfg.APIKeyDailyLimit
	}
	u, err := owner(ctx, db, *email)
	if err != nil {
		return err
	}
	k, secret, err := c.keys(db, *limit, cfg.APIKeyMaxPerUser).Create(ctx, u.ID, *name)
	if err != nil {
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError("--user is required")
	}
	db, _, err := c.openConfigured(ctx)
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
		return c.printJSON(rows)
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
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("name one key to revoke: spidergo key revoke ID")
	}
	db, _, err := c.openConfigured(ctx)
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
	if k, err = c.keys(db, 0, 0).Revoke(ctx, k.UserID, k.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked API key %s (%q, …%s)\n", k.ID, k.Name, k.Last4)
	return nil
}

// keys is the key service over db, for the commands that change keys, so
// that they follow the rules the API follows.
func (c *keyCmd) keys(db spidergo.Store, dailyLimit, maxPerUser int) *apikey.Service {
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return apikey.New(db, db, log, apikey.Config{DailyLimit: dailyLimit, MaxPerUser: maxPerUser})
}
