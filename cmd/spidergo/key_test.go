package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/sqlstore"
)

// runKey runs "spidergo key …" with env as the environment.
func runKey(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = run(context.Background(), append([]string{"key"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// keyTestDB returns the URL of a fresh SQLite database holding one account,
// ada@example.com.
func keyTestDB(t *testing.T) (string, *spidergo.User) {
	t.Helper()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "keys.db")
	db, err := sqlstore.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u := &spidergo.User{FirstName: "Ada", Email: "ada@example.com"}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return dbURL, u
}

func storedKeys(t *testing.T, dbURL, userID string) []*spidergo.APIKey {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := db.ListAPIKeys(context.Background(), userID, true)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestKeyCommands(t *testing.T) {
	dbURL, u := keyTestDB(t)
	env := map[string]string{"SPIDERGO_DATABASE_URL": dbURL, "SPIDERGO_API_KEY_DAILY_LIMIT": "250"}

	code, out, errOut := runKey(t, env, "create", "--user", "Ada@Example.com", "--name", "CI pipeline")
	secret := strings.TrimSpace(out)
	if code != 0 || !regexp.MustCompile(`^sk_live_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Fatalf("create = %d, stdout %q, stderr %q; want the key alone on stdout", code, out, errOut)
	}
	if !strings.Contains(errOut, "will not be shown again") || strings.Contains(errOut, secret) {
		t.Errorf("create stderr = %q", errOut)
	}
	code, out, _ = runKey(t, env, "create", "--name", "Batch jobs", "--daily-limit", "50000", "--user", "ada@example.com")
	if code != 0 {
		t.Fatalf("create with --daily-limit = %d", code)
	}
	batchSecret := strings.TrimSpace(out)

	keys := storedKeys(t, dbURL, u.ID)
	if len(keys) != 2 {
		t.Fatalf("%d keys stored, want 2", len(keys))
	}
	limits := map[string]int{}
	for _, k := range keys {
		limits[k.Name] = k.DailyLimit
	}
	if limits["CI pipeline"] != 250 || limits["Batch jobs"] != 50000 {
		t.Errorf("daily limits = %v, want 250 from the environment and 50000 from the flag", limits)
	}
	byHash := map[string]bool{}
	for _, k := range keys {
		byHash[k.Hash] = true
	}
	if !byHash[spidergo.HashAPIKey(secret)] || !byHash[spidergo.HashAPIKey(batchSecret)] {
		t.Error("printed keys do not match the stored hashes")
	}

	code, out, _ = runKey(t, env, "list", "--user", "ada@example.com")
	if code != 0 || !strings.Contains(out, "CI pipeline") || !strings.Contains(out, "…"+secret[len(secret)-4:]) || !strings.Contains(out, "50000") {
		t.Errorf("list = %d:\n%s", code, out)
	}
	for _, s := range []string{secret, batchSecret, spidergo.HashAPIKey(secret)} {
		if strings.Contains(out, s) {
			t.Errorf("list shows a key or hash:\n%s", out)
		}
	}

	var ci *spidergo.APIKey
	for _, k := range keys {
		if k.Name == "CI pipeline" {
			ci = k
		}
	}
	// Flags may follow the argument.
	code, out, errOut = runKey(t, map[string]string{}, "revoke", ci.ID, "--database-url", dbURL)
	if code != 0 || !strings.Contains(out, "revoked API key "+ci.ID) {
		t.Fatalf("revoke = %d, %q, %q", code, out, errOut)
	}
	code, out, _ = runKey(t, env, "list", "--user", "ada@example.com", "--json")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil || len(rows) != 1 || rows[0]["name"] != "Batch jobs" {
		t.Errorf("list --json after revoke = %d %v:\n%s", code, err, out)
	}
	code, out, _ = runKey(t, env, "list", "--user", "ada@example.com", "--include-revoked")
	if code != 0 || !strings.Contains(out, "revoked 20") || !strings.Contains(out, "CI pipeline") {
		t.Errorf("list --include-revoked = %d:\n%s", code, out)
	}
}

func TestKeyCommandRefusals(t *testing.T) {
	dbURL, _ := keyTestDB(t)
	env := map[string]string{"SPIDERGO_DATABASE_URL": dbURL, "SPIDERGO_API_KEY_MAX_PER_USER": "2"}
	for range 2 {
		if code, _, errOut := runKey(t, env, "create", "--user", "ada@example.com", "--name", "k"); code != 0 {
			t.Fatalf("create = %d: %s", code, errOut)
		}
	}
	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "usage"},
		{"unknown command", []string{"rotate"}, 2, "unknown command"},
		{"create without --user", []string{"create", "--name", "x"}, 2, "--user and --name are required"},
		{"create without --name", []string{"create", "--user", "ada@example.com"}, 2, "--user and --name are required"},
		{"zero daily limit", []string{"create", "--user", "ada@example.com", "--name", "x", "--daily-limit", "0"}, 2, "--daily-limit must be 1 or more"},
		{"bad flag", []string{"create", "--colour", "blue"}, 2, "flag provided but not defined"},
		{"over the key limit", []string{"create", "--user", "ada@example.com", "--name", "third"}, 1, "Revoke one"},
		{"unknown account", []string{"create", "--user", "nobody@example.com", "--name", "x"}, 1, "no account"},
		{"long name", []string{"create", "--user", "ada@example.com", "--name", strings.Repeat("n", 101)}, 1, "at most 100"},
		{"list without --user", []string{"list"}, 2, "--user is required"},
		{"revoke without id", []string{"revoke"}, 2, "name one key"},
		{"revoke unknown id", []string{"revoke", "nope"}, 1, "no API key"},
		{"help", []string{"--help"}, 0, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runKey(t, env, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}
