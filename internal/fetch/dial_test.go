package fetch

import (
	"context"
	"net"
	"testing"
)

func TestDialContextUsesTheGuard(t *testing.T) {
	open, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	accepted := make(chan string, 4)
	for _, l := range []net.Listener{open, closed} {
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				accepted <- l.Addr().String()
				c.Close()
			}
		}()
	}

	f, err := New(Config{Allow: []string{open.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := f.DialContext(ctx, "tcp", open.Addr().String())
	if err != nil {
		t.Fatalf("dial to the allowed listener: %v", err)
	}
	c.Close()
	if got := <-accepted; got != open.Addr().String() {
		t.Fatalf("accepted on %s, want %s", got, open.Addr())
	}

	if _, err := f.DialContext(ctx, "tcp", closed.Addr().String()); KindOf(err) != KindBlockedAddress {
		t.Fatalf("dial to a loopback port outside the allow list: got %v, want %s", err, KindBlockedAddress)
	}
	if _, err := f.DialContext(ctx, "udp", open.Addr().String()); KindOf(err) != KindBlockedAddress {
		t.Fatalf("udp dial: got %v, want %s", err, KindBlockedAddress)
	}
	select {
	case got := <-accepted:
		t.Fatalf("a refused dial reached %s", got)
	default:
	}
}
