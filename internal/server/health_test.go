package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/storetest"
)

func TestReadyzRedis(t *testing.T) {
	refused := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	tests := []struct {
		name       string
		ping       func(context.Context) error
		wantStatus int
		wantRedis  string
	}{
		{"not configured", nil, 200, "not configured"},
		{"answers", func(context.Context) error { return nil }, 200, "ready"},
		{"down", func(context.Context) error { return refused }, 503, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			h := Probes(storetest.SQLite(t), nil, tt.ping, slog.New(slog.NewTextHandler(logs, nil)))
			res, body := do(t, h, "GET", "/readyz", nil, nil)
			if res.StatusCode != tt.wantStatus || body["redis"] != tt.wantRedis {
				t.Fatalf("readyz = %d %v, want %d with redis %q", res.StatusCode, body, tt.wantStatus, tt.wantRedis)
			}
			if tt.wantStatus == 503 {
				if body["code"] != spidergo.EUNAVAILABLE || body["database"] != "ready" || !strings.Contains(body["message"].(string), "Redis") {
					t.Errorf("body %v", body)
				}
				// The watch logs the outage once; the probe, asked every
				// few seconds, does not add an error line each time.
				if strings.Contains(logs.String(), "level=ERROR") {
					t.Errorf("the probe logged an error:\n%s", logs.String())
				}
			}
		})
	}
}
