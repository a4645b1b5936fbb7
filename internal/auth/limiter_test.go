package auth

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter(3, time.Minute, 100)
	for i := range 3 {
		if ok, _ := l.Allow("a", now); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	ok, wait := l.Allow("a", now)
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("4th attempt = %v, %v; want refused with a wait of at most a minute", ok, wait)
	}
	// A refused attempt costs nothing: the wait does not grow.
	if _, again := l.Allow("a", now); again != wait {
		t.Errorf("wait grew from %v to %v after a refused attempt", wait, again)
	}
	if ok, _ := l.Allow("b", now); !ok {
		t.Error("another key is throttled too")
	}
	if ok, _ := l.Allow("a", now.Add(wait)); !ok {
		t.Error("still refused after the wait")
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := NewLimiter(2, time.Minute, 50)
	for i := range 1000 {
		l.Allow(fmt.Sprint("k", i), now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := l.Len(); n > 50 {
		t.Fatalf("limiter holds %d keys, cap is 50", n)
	}
	// Exhausted keys that are still active survive eviction of idle ones.
	l = NewLimiter(1, time.Hour, 10)
	l.Allow("hot", now)
	for i := range 100 {
		l.Allow(fmt.Sprint("idle", i), now.Add(-2*time.Hour)) // refilled by now
	}
	if ok, _ := l.Allow("hot", now); ok {
		t.Error("an exhausted key was forgotten while idle ones were kept")
	}
}

func TestAddrKey(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
	} {
		if got := AddrKey(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("AddrKey(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
