package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// runUser runs "spidergo user …" against the database at dbURL.
func runUser(t *testing.T, dbURL, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	env := func(k string) string {
		if k == "SPIDERGO_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	code = run(context.Background(), append([]string{"user"}, args...), env, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "users.db")
	const pw = "correct horse battery staple\n"

	code, out, errOut := runUser(t, dbURL, pw, "create", "--email", "Ada@Example.com", "--password-stdin", "--name", "Ada King Lovelace", "--verified")
	if code != 0 || !strings.Contains(out, "created user") || !strings.Contains(out, "ada@example.com") {
		t.Fatalf("create = %d, %q, %q", code, out, errOut)
	}
	code, out, _ = runUser(t, dbURL, "another fine passphrase", "create", "--password-stdin", "--email", "bob@example.com")
	if code != 0 {
		t.Fatalf("create bob = %d", code)
	}

	// The stored account signs in with the password from stdin.
	db, err := sqlstore.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.UserByEmail(context.Background(), "ada@example.com")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if u.FirstName != "Ada" || u.LastName != "King Lovelace" || !u.IsVerified {
		t.Errorf("stored user = %+v", u)
	}
	if ok, _, err := auth.NewHasher(auth.DefaultParams).Verify(context.Background(), "correct horse battery staple", u.PasswordHash); !ok || err != nil {
		t.Errorf("password from stdin does not verify: %v %v", ok, err)
	}

	code, out, _ = runUser(t, dbURL, "", "list")
	if code != 0 || !strings.Contains(out, "EMAIL") || strings.Index(out, "ada@example.com") > strings.Index(out, "bob@example.com") || !strings.Contains(out, "Ada King Lovelace") {
		t.Errorf("list = %d:\n%s", code, out)
	}
	code, out, _ = runUser(t, dbURL, "", "list", "--json")
	var rows []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[0]["email"] != "ada@example.com" || rows[1]["is_verified"] != false || rows[0]["has_password"] != true {
		t.Errorf("list --json = %d:\n%s", code, out)
	}
	if strings.Contains(out, "argon2") {
		t.Error("list shows password hashes")
	}

	for _, tt := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"duplicate", pw, []string{"create", "--email", "ada@example.com", "--password-stdin"}, 1, "already exists"},
		{"weak password", "password1\n", []string{"create", "--email", "c@example.com", "--password-stdin"}, 1, "too common"},
		{"no password", "", []string{"create", "--email", "c@example.com", "--password-stdin"}, 2, "no password"},
		{"no --password-stdin", pw, []string{"create", "--email", "c@example.com"}, 2, "required"},
		{"bad email", pw, []string{"create", "--email", "nope", "--password-stdin"}, 1, "valid email"},
		{"unknown flag", pw, []string{"create", "--admin"}, 2, "flag provided but not defined"},
		{"unknown subcommand", "", []string{"promote"}, 2, "unknown command"},
		{"delete unknown", "", []string{"delete", "nobody@example.com"}, 1, "no such account"},
		{"delete nothing", "", []string{"delete"}, 2, "name the account"},
		{"delete twice named", "", []string{"delete", "a@example.com", "--id", "x"}, 2, "once"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runUser(t, dbURL, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, errOut, tt.code, tt.msg)
			}
		})
	}

	// Delete by email with the flag after the argument, then by id.
	other := "sqlite:" + filepath.Join(t.TempDir(), "other.db")
	code, out, errOut = runUser(t, other, "", "delete", "ada@example.com", "--database-url", dbURL)
	if code != 0 || !strings.Contains(out, "deleted user "+u.ID) {
		t.Fatalf("delete by email = %d %q %q", code, out, errOut)
	}
	_, out, _ = runUser(t, dbURL, "", "list", "--json")
	json.Unmarshal([]byte(out), &rows)
	if len(rows) != 1 || rows[0]["email"] != "bob@example.com" {
		t.Fatalf("after delete: %s", out)
	}
	code, _, _ = runUser(t, dbURL, "", "delete", "--id", rows[0]["user_id"].(string))
	if code != 0 {
		t.Errorf("delete by id = %d", code)
	}
	_, out, _ = runUser(t, dbURL, "", "list", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("after deleting everyone: %s", out)
	}
}
