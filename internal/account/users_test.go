package account

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/mail"
	"github.com/spidergo/spidergo/internal/storetest"
)

func newService(t *testing.T) *Service {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(storetest.SQLite(t), &mail.Log{Logger: log}, log, Config{PasswordParams: auth.TestParams})
	t.Cleanup(s.Close)
	return s
}

func TestCreateUser(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, NewUser{Name: "Ada King Lovelace", Email: "Ada@Example.com", Password: "correct horse battery staple"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		in       NewUser
		wantCode string
		wantMsg  string
	}{
		{"taken, any case", NewUser{Email: "ADA@example.com", Password: "another good passphrase"}, spidergo.ECONFLICT, "An account with this email already exists."},
		{"bad email", NewUser{Email: "not an address"}, spidergo.EINVALID, ""},
		{"weak password", NewUser{Email: "bob@example.com", Password: "password"}, spidergo.EINVALID, ""},
		{"control character in a name", NewUser{FirstName: "Bo\x07b", Email: "bob@example.com"}, spidergo.EINVALID, "first_name"},
		{"overlong name", NewUser{LastName: strings.Repeat("x", 101), Email: "bob@example.com"}, spidergo.EINVALID, "last_name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tt.in)
			if spidergo.ErrorCode(err) != tt.wantCode || !strings.Contains(spidergo.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("CreateUser = %v, want %s %q", err, tt.wantCode, tt.wantMsg)
			}
		})
	}
	u, err := s.store.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.FirstName != "Ada" || u.LastName != "King Lovelace" || u.PasswordHash == "" || u.IsVerified {
		t.Errorf("stored user = %+v", u)
	}
	// A provider-only account has no password to check.
	p, err := s.CreateUser(ctx, NewUser{Email: "grace@example.com", Verified: true, AvatarURL: "http://insecure.example/a.png"})
	if err != nil {
		t.Fatal(err)
	}
	if p.PasswordHash != "" || !p.IsVerified || p.AvatarURL != "" {
		t.Errorf("provider-only user = %+v; want no password, verified, the http avatar dropped", p)
	}
	if _, err := s.Login(ctx, "grace@example.com", ""); !errors.Is(err, ErrBadLogin) {
		t.Errorf("login without a password = %v, want ErrBadLogin", err)
	}
}
