package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveTest runs s on a loopback listener until the test ends and returns
// its address.
func serveTest(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// readAnswer reads one HTTP answer from c and decodes its JSON body.
func readAnswer(t *testing.T, c net.Conn) (int, map[string]any) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatalf("answer %d is not JSON: %v", res.StatusCode, err)
	}
	return res.StatusCode, m
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSlowBodyGets408(t *testing.T) {
	s, _ := newTestServer(t, map[string]string{"SPIDERGO_BODY_TIMEOUT": "300ms"})
	addr := serveTest(t, s)
	c := dial(t, addr)
	// Headers promise 100 bytes; the body drips one byte and stops.
	fmt.Fprintf(c, "POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	status, body := readAnswer(t, c)
	if status != http.StatusRequestTimeout || body["code"] != "request_timeout" {
		t.Fatalf("answer = %d %v, want 408 request_timeout", status, body)
	}
}

func TestBodyDeadlineEndsWithTheBody(t *testing.T) {
	s, _ := newTestServer(t, map[string]string{"SPIDERGO_BODY_TIMEOUT": "200ms"})
	// A handler that has read its body and then works past the body
	// deadline must keep its context: the deadline is for the body only.
	s.mux.Handle("POST /test/slow", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		var in map[string]any
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		select {
		case <-r.Context().Done():
			return writeJSON(w, http.StatusOK, map[string]string{"context": "cancelled"})
		case <-time.After(600 * time.Millisecond):
			return writeJSON(w, http.StatusOK, map[string]string{"context": "alive"})
		}
	}))
	addr := serveTest(t, s)
	res, err := http.Post("http://"+addr+"/test/slow", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `"alive"`) {
		t.Fatalf("answer = %d %s: the body deadline cancelled the request", res.StatusCode, b)
	}
}

func TestConnectionCaps(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		held     int
		wantText string
	}{
		{"per client", map[string]string{"SPIDERGO_MAX_CONNECTIONS_PER_CLIENT": "3"}, 3, "from your address"},
		{"in total", map[string]string{"SPIDERGO_MAX_CONNECTIONS": "2"}, 2, "too many open connections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, tt.env)
			addr := serveTest(t, s)
			var held []net.Conn
			for range tt.held {
				c := dial(t, addr)
				// A request in flight proves the connection was accepted.
				fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
				if status, _ := readAnswer(t, c); status != http.StatusOK {
					t.Fatalf("held connection: %d", status)
				}
				held = append(held, c)
			}
			extra := dial(t, addr)
			status, body := readAnswer(t, extra)
			if status != http.StatusServiceUnavailable || !strings.Contains(body["message"].(string), tt.wantText) {
				t.Fatalf("connection over the cap: %d %v", status, body)
			}
			// Closing one frees its slot.
			held[0].Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				c := dial(t, addr)
				fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
				status, _ := readAnswer(t, c)
				c.Close()
				if status == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("a closed connection's slot was never freed")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestLargeHeadersGetJSON431(t *testing.T) {
	s, _ := newTestServer(t, nil)
	addr := serveTest(t, s)
	c := dial(t, addr)
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", maxHeaderBytes+1))
	status, body := readAnswer(t, c)
	if status != http.StatusRequestHeaderFieldsTooLarge || body["code"] != "headers_too_large" || body["request_id"] == "" {
		t.Fatalf("answer = %d %v, want a JSON 431", status, body)
	}
}
