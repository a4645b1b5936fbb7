package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestGate runs the pieces of the command for a few requests on SQLite:
// the server as the child builds it, the open loop against /healthz and
// /v1/usage with its key, the CPU reading and the table.
func TestGate(t *testing.T) {
	s, err := startServer(context.Background(), "sqlite", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var (
		rows  []row
		conns []*conn
	)
	for range 4 {
		conns = append(conns, &conn{addr: s.Addr})
	}
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	for _, route := range []string{"healthz", "usage"} {
		req := request(s.Addr, "/healthz", "")
		if route == "usage" {
			req = request(s.Addr, "/v1/usage", "Bearer "+s.Secret)
		}
		started := false
		c, err := openLoop(conns, req, 2000, 40, 2, func() error { started = true; return nil })
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		if !started || len(c.Lat) != 40 || len(c.Server) != 40 || len(c.Lag) != 40 || c.Rate <= 0 {
			t.Fatalf("%s: started %v, %d latencies, %d server shares, %d lags, rate %.0f", route, started, len(c.Lat), len(c.Server), len(c.Lag), c.Rate)
		}
		if quantile(c.Server, 1) > quantile(c.Lat, 1) {
			t.Errorf("%s: the server's share is above the latency from due", route)
		}
		rows = append(rows, row{variant: variant{backend: "sqlite"}, route: route, rate: 2000, run: 1, cell: c})
	}
	// A connection the server closed is opened again.
	conns[0].c.Close()
	if _, err := openLoop(conns, request(s.Addr, "/healthz", ""), 1000, 8, 1, nil); err != nil {
		t.Errorf("after a closed connection: %v", err)
	}
	// A wrong key is refused, so the 200s above were the gate's.
	wrong := []*conn{{addr: s.Addr}}
	defer wrong[0].close()
	if _, err := openLoop(wrong, request(s.Addr, "/v1/usage", "Bearer sg_wrong"), 100, 1, 0, nil); err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Errorf("a wrong key: %v, want status 401", err)
	}
	cpu, err := procCPU(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("procCPU: %v, %v", cpu, err)
	}
	var out bytes.Buffer
	printTable(&out, rows)
	if got := strings.Count(out.String(), "\n"); got != 4 || !strings.Contains(out.String(), "`/v1/usage`") {
		t.Errorf("table:\n%s", out.String())
	}
}
