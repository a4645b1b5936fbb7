package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/config"
	"github.com/spidergo/spidergo/internal/storetest"
)

func testConfig(t *testing.T, role string) *config.Config {
	t.Helper()
	cfg, err := config.Load(nil, func(k string) string {
		if k == "SPIDERGO_ROLE" {
			return role
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRoles runs each role on a loopback listener and checks which routes
// it answers, and that cancelling its context stops it.
func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		role string
		// wantAPI is whether the API routes are served.
		wantAPI bool
	}{
		{RoleAll, true},
		{RoleAPI, true},
		{RoleWorker, false},
	} {
		t.Run(tt.role, func(t *testing.T) {
			cfg := testConfig(t, tt.role)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			a, err := New(context.Background(), cfg, log, Options{Store: storetest.SQLite(t), PasswordParams: auth.TestParams})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx, ln) }()
			base := "http://" + ln.Addr().String()

			for path, want := range map[string]int{
				"/healthz":       200,
				"/readyz":        200,
				"/auth/me":       map[bool]int{true: 401, false: 404}[tt.wantAPI],
				"/v1/usage":      map[bool]int{true: 401, false: 404}[tt.wantAPI],
				"/no/such/route": 404,
			} {
				res, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				var body map[string]any
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				if res.StatusCode != want {
					t.Errorf("GET %s = %d %v, want %d", path, res.StatusCode, body, want)
				}
				if body["request_id"] == nil && res.StatusCode >= 400 {
					t.Errorf("GET %s: error body without the API's conventions: %v", path, body)
				}
			}

			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not stop after its context ended")
			}
		})
	}
}

func TestUnknownRole(t *testing.T) {
	cfg := testConfig(t, RoleAll)
	cfg.Role = "scheduler"
	if _, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Store: storetest.SQLite(t)}); err == nil {
		t.Error("New accepted an unknown role")
	}
}
