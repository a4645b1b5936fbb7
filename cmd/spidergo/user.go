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
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/oauth"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

const userUsage = `usage: spidergo user <command> [flags]

commands:
  create --email EMAIL --password-stdin [--name "First Last"] [--verified]
         create an account; the password is read from the first line of stdin
  list [--json]
         list accounts, oldest first
  delete EMAIL|ID  (or --email EMAIL, --id ID)
         delete an account with its sessions, keys and history

Every command takes --database-url (default: SPIDERGO_DATABASE_URL, else
sqlite:spidergo.db). Flags may come before or after arguments.
`

// cmdUser manages accounts directly in the database, for operators: the
// first admin account, accounts on a server without mail, clean-ups.
func cmdUser(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, userUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, ok := map[string]func(*userCmd, context.Context, []string) error{
		"create": (*userCmd).create,
		"list":   (*userCmd).list,
		"delete": (*userCmd).delete,
	}[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "spidergo user: unknown command %q\n\n%s", args[0], userUsage)
		return 2
	}
	c := &userCmd{env: env, stdin: stdin, stdout: stdout, stderr: stderr}
	if err := sub(c, ctx, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errFlags) {
			return 2 // the flag package has said what is wrong
		}
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(stderr, "spidergo user %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "spidergo user %s: %s\n", args[0], userError(err))
		return 1
	}
	return 0
}

type userCmd struct {
	env            func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	databaseURL    string
}

// errFlags reports a flag error the flag package already printed.
var errFlags = errors.New("bad flags")

// usageError is a mistake in the command line (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

// userError shows domain errors by their client message and anything else
// as is: the operator is on the machine and may see causes.
func userError(err error) string {
	var e *spidergo.Error
	if errors.As(err, &e) {
		if e.Err != nil {
			return e.Message + " (" + e.Err.Error() + ")"
		}
		return e.Message
	}
	return err.Error()
}

func (c *userCmd) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("spidergo user "+name, flag.ContinueOnError)
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

// open connects to the configured database and migrates it, so that the
// first command on a fresh install works.
func (c *userCmd) open(ctx context.Context) (*sqlstore.DB, error) {
	u := c.databaseURL
	if u == "" {
		cfg, err := config.Load(nil, c.env, io.Discard)
		if err != nil {
			return nil, err
		}
		u = cfg.DatabaseURL
	}
	return sqlstore.Open(ctx, u)
}

func (c *userCmd) create(ctx context.Context, args []string) error {
	fs := c.flags("create")
	email := fs.String("email", "", "the account's email address (required)")
	name := fs.String("name", "", `full name, split at the first space into first and last name`)
	first := fs.String("first-name", "", "first name (wins over --name)")
	last := fs.String("last-name", "", "last name (wins over --name)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (required)")
	verified := fs.Bool("verified", false, "mark the email address as verified")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	if *email == "" || !*fromStdin {
		return usageError("--email and --password-stdin are required")
	}
	addr, err := auth.NormalizeEmail(*email)
	if err != nil {
		return err
	}
	password, err := readPassword(c.stdin)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword(password, addr); err != nil {
		return err
	}
	f, l := *first, *last
	if f == "" && l == "" {
		f, l = oauth.SplitName(*name)
	}
	hash, err := auth.NewHasher(auth.DefaultParams).Hash(ctx, password)
	if err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	u := &spidergo.User{FirstName: strings.TrimSpace(f), LastName: strings.TrimSpace(l), Email: addr, PasswordHash: hash, IsVerified: *verified}
	if err := db.CreateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created user %s (%s)\n", u.ID, u.Email)
	return nil
}

// readPassword takes the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", usageError("no password on stdin")
	}
	return line, nil
}

func (c *userCmd) list(ctx context.Context, args []string) error {
	fs := c.flags("list")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.ListUsers(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		type row struct {
			UserID      string `json:"user_id"`
			Email       string `json:"email"`
			FirstName   string `json:"first_name"`
			LastName    string `json:"last_name"`
			IsVerified  bool   `json:"is_verified"`
			HasPassword bool   `json:"has_password"`
			CreatedAt   string `json:"created_at"`
		}
		rows := []row{}
		for _, u := range users {
			rows = append(rows, row{u.ID, u.Email, u.FirstName, u.LastName, u.IsVerified, u.PasswordHash != "", u.CreatedAt.UTC().Format(time.RFC3339)})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tVERIFIED\tCREATED")
	for _, u := range users {
		name := strings.TrimSpace(u.FirstName + " " + u.LastName)
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", u.ID, u.Email, name, u.IsVerified, u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func (c *userCmd) delete(ctx context.Context, args []string) error {
	fs := c.flags("delete")
	email := fs.String("email", "", "the account's email address")
	id := fs.String("id", "", "the account's id")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 1:
		return usageError(fmt.Sprintf("unexpected argument %q", pos[1]))
	case len(pos) == 1 && (*email != "" || *id != ""):
		return usageError("name the account once: an argument, --email or --id")
	case len(pos) == 1 && strings.Contains(pos[0], "@"):
		*email = pos[0]
	case len(pos) == 1:
		*id = pos[0]
	}
	if (*email == "") == (*id == "") {
		return usageError("name the account to delete: EMAIL, ID, --email or --id")
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var u *spidergo.User
	if *email != "" {
		u, err = db.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(*email)))
	} else {
		u, err = db.UserByID(ctx, *id)
	}
	if errors.Is(err, spidergo.ErrNotFound) {
		return errors.New("no such account")
	}
	if err != nil {
		return err
	}
	if err := db.DeleteUser(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted user %s (%s)\n", u.ID, u.Email)
	return nil
}
