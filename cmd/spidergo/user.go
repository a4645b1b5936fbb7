package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
	"github.com/spidergo/spidergo/internal/mail"
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
	c := &userCmd{adminCmd: adminCmd{name: "user", env: env, stdout: stdout, stderr: stderr}, stdin: stdin}
	return c.run(ctx, args, userUsage, map[string]func(context.Context, []string) error{
		"create": c.create,
		"list":   c.list,
		"delete": c.delete,
	}, userError)
}

type userCmd struct {
	adminCmd
	stdin io.Reader
}

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

func (c *userCmd) create(ctx context.Context, args []string) error {
	fs := c.flags("create")
	email := fs.String("email", "", "the account's email address (required)")
	name := fs.String("name", "", `full name, split at the first space into first and last name`)
	first := fs.String("first-name", "", "first name (wins over --name)")
	last := fs.String("last-name", "", "last name (wins over --name)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin (required)")
	verified := fs.Bool("verified", false, "mark the email address as verified")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" || !*fromStdin {
		return usageError("--email and --password-stdin are required")
	}
	password, err := readPassword(c.stdin)
	if err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := c.accounts(db).CreateUser(ctx, account.NewUser{
		FirstName: *first, LastName: *last, Name: *name, Email: *email, Password: password, Verified: *verified,
	})
	if err != nil {
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
	if err := parseFlags(fs, args); err != nil {
		return err
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
		return c.printJSON(rows)
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
	if err := c.accounts(db).Delete(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted user %s (%s)\n", u.ID, u.Email)
	return nil
}

// accounts is the account service over db, so that the commands follow
// the rules the API follows. Creating and deleting accounts sends no
// mail; the log mailer is there because the service needs one.
func (c *userCmd) accounts(db spidergo.Store) *account.Service {
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return account.New(db, &mail.Log{Logger: log}, log, account.Config{})
}
