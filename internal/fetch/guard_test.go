package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// TestHostileTargets fetches a table of hostile URLs and spellings. Every
// one must be refused, and no connection may reach the loopback canaries,
// whose port is even in the allowed port list so that only the address
// rules stand between the fetcher and them.
func TestHostileTargets(t *testing.T) {
	c4 := newCanary(t, "tcp4", "127.0.0.1:0")
	// An allowed server on another loopback port shows that an exact
	// host:port entry opens nothing else.
	allowed, allowEntry := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	P := c4.port

	res := newFakeResolver().
		set("metadata.google.internal", "169.254.169.254").
		set("metadata.test", "169.254.169.254").
		set("loopback.test", "127.0.0.1").
		set("127.0.0.1.nip.io", "127.0.0.1").
		set("loopback6.test", "::1").
		set("private10.test", "10.1.2.3").
		set("private172.test", "172.16.5.4").
		set("private192.test", "192.168.0.10").
		set("cgnat.test", "100.64.1.1").
		set("mapped.test", "::ffff:127.0.0.1").
		set("mapped-meta.test", "::ffff:169.254.169.254").
		set("nat64.test", "64:ff9b::7f00:1").
		set("ula.test", "fd00::1").
		set("linklocal6.test", "fe80::1").
		set("unspecified.test", "0.0.0.0").
		set("multi.test", "10.0.0.1,127.0.0.1").
		set("broadcast.test", "255.255.255.255").
		set("docs.test", "192.0.2.55")

	f := testFetcher(t, Config{
		Allow:    []string{allowEntry},
		Ports:    []int{80, 443, P},
		Resolver: res,
	})

	cases := []struct {
		url  string
		kind string
	}{
		// 127.0.0.1 in every spelling a browser accepts.
		{fmtPort("http://127.0.0.1:%d/", P), KindBlockedAddress},
		{fmtPort("http://2130706433:%d/", P), KindBlockedAddress},
		{fmtPort("http://0x7f000001:%d/", P), KindBlockedAddress},
		{fmtPort("http://0x7f.1:%d/", P), KindBlockedAddress},
		{fmtPort("http://0x7f.0.0.1:%d/", P), KindBlockedAddress},
		{fmtPort("http://017700000001:%d/", P), KindBlockedAddress},
		{fmtPort("http://0177.0.0.1:%d/", P), KindBlockedAddress},
		{fmtPort("http://127.1:%d/", P), KindBlockedAddress},
		{fmtPort("http://127.0.1:%d/", P), KindBlockedAddress},
		{fmtPort("http://127.000.000.001:%d/", P), KindBlockedAddress},
		{fmtPort("  http://127.0.0.1:%d/  ", P), KindBlockedAddress},
		{fmtPort("127.0.0.1:%d", P), KindBlockedAddress},
		{fmtPort("http://127.0.0.2:%d/", P), KindBlockedAddress},
		{fmtPort("http://localhost:%d/", P), KindBlockedAddress},
		{fmtPort("http://LOCALHOST.:%d/", P), KindBlockedAddress},
		{fmtPort("http://app.localhost:%d/", P), KindBlockedAddress},
		// IPv6 loopback and the IPv4-in-IPv6 forms of 127.0.0.1.
		{fmtPort("http://[::1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[0:0:0:0:0:0:0:1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[::ffff:127.0.0.1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[::ffff:7f00:1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[::127.0.0.1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[::ffff:0:7f00:1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[64:ff9b::7f00:1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[64:ff9b::127.0.0.1]:%d/", P), KindBlockedAddress},
		{fmtPort("http://[2002:7f00:1::]:%d/", P), KindBlockedAddress},
		// Unspecified.
		{fmtPort("http://0.0.0.0:%d/", P), KindBlockedAddress},
		{fmtPort("http://0:%d/", P), KindBlockedAddress},
		{fmtPort("http://[::]:%d/", P), KindBlockedAddress},
		// Cloud metadata, literal and by name.
		{"http://169.254.169.254/latest/meta-data/", KindBlockedAddress},
		{"http://0xa9fea9fe/", KindBlockedAddress},
		{"http://[::ffff:169.254.169.254]/", KindBlockedAddress},
		{"http://[64:ff9b::a9fe:a9fe]/", KindBlockedAddress},
		{"http://[fd00:ec2::254]/", KindBlockedAddress},
		{"http://metadata.google.internal/computeMetadata/v1/", KindBlockedAddress},
		{"http://metadata.test/", KindBlockedAddress},
		// Private, CGNAT, unique-local, link-local, multicast, broadcast,
		// documentation and benchmarking ranges.
		{"http://10.0.0.1/", KindBlockedAddress},
		{"http://10.255.255.255:8080/", KindBlockedAddress},
		{"http://172.16.0.1/", KindBlockedAddress},
		{"http://172.31.255.1/", KindBlockedAddress},
		{"http://192.168.1.1/", KindBlockedAddress},
		{"http://100.64.0.1/", KindBlockedAddress},
		{"http://[fc00::1]/", KindBlockedAddress},
		{"http://[fe80::1]/", KindBlockedAddress},
		{"http://224.0.0.1/", KindBlockedAddress},
		{"http://[ff02::1]/", KindBlockedAddress},
		{"http://255.255.255.255/", KindBlockedAddress},
		{"http://192.0.2.1/", KindBlockedAddress},
		{"http://198.51.100.7/", KindBlockedAddress},
		{"http://203.0.113.9/", KindBlockedAddress},
		{"http://198.18.0.1/", KindBlockedAddress},
		{"http://[2001:db8::1]/", KindBlockedAddress},
		{"http://[::ffff:a00:1]/", KindBlockedAddress},
		{"http://[64:ff9b::a00:1]/", KindBlockedAddress},
		// Names that resolve into refused space: caught at the dial.
		{fmtPort("http://loopback.test:%d/", P), KindBlockedAddress},
		{fmtPort("http://127.0.0.1.nip.io:%d/", P), KindBlockedAddress},
		{fmtPort("http://loopback6.test:%d/", P), KindBlockedAddress},
		{fmtPort("http://mapped.test:%d/", P), KindBlockedAddress},
		{fmtPort("http://nat64.test:%d/", P), KindBlockedAddress},
		{fmtPort("http://unspecified.test:%d/", P), KindBlockedAddress},
		{fmtPort("http://multi.test:%d/", P), KindBlockedAddress},
		{"http://private10.test/", KindBlockedAddress},
		{"http://private172.test/", KindBlockedAddress},
		{"http://private192.test/", KindBlockedAddress},
		{"http://cgnat.test/", KindBlockedAddress},
		{"http://mapped-meta.test/", KindBlockedAddress},
		{"http://ula.test/", KindBlockedAddress},
		{"http://linklocal6.test/", KindBlockedAddress},
		{"http://broadcast.test/", KindBlockedAddress},
		{"http://docs.test/", KindBlockedAddress},
		// Userinfo, schemes, ports.
		{fmtPort("http://user:pass@127.0.0.1:%d/", P), KindInvalidURL},
		{fmtPort("http://user@loopback.test:%d/", P), KindInvalidURL},
		{"https://admin@example.com/", KindInvalidURL},
		{fmtPort("ftp://127.0.0.1:%d/", P), KindInvalidURL},
		{"file:///etc/passwd", KindInvalidURL},
		{fmtPort("gopher://127.0.0.1:%d/_GET%%20/", P), KindInvalidURL},
		{fmtPort("dict://127.0.0.1:%d/", P), KindInvalidURL},
		{"javascript:alert(1)", KindInvalidURL},
		{"data:text/html,<h1>x</h1>", KindInvalidURL},
		{"http://public.example:22/", KindBlockedAddress},
		{"http://public.example:6379/", KindBlockedAddress},
		{"http://[::1]:22/", KindBlockedAddress},
		{"http://", KindInvalidURL},
		{"http://[::1/", KindInvalidURL},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: tc.url})
			if resp != nil {
				t.Fatalf("got a response (%d) for a hostile target", resp.StatusCode)
			}
			wantKind(t, err, tc.kind)
		})
	}
	if n := c4.accepted.Load(); n != 0 {
		t.Fatalf("canary accepted %d connections", n)
	}

	// The allowed server is reachable: the guard is not simply refusing
	// everything.
	if _, err := f.Fetch(context.Background(), Request{URL: allowed.URL + "/"}); err != nil {
		t.Fatalf("allowed server: %v", err)
	}
}

// TestHostileIPv6Canary repeats the loopback spellings against an IPv6
// canary when the machine has ::1.
func TestHostileIPv6Canary(t *testing.T) {
	c6 := newCanary(t, "tcp6", "[::1]:0")
	res := newFakeResolver().set("v6.test", "::1").set("v6mapped.test", "::ffff:127.0.0.1")
	f := testFetcher(t, Config{Ports: []int{c6.port}, Resolver: res})
	for _, u := range []string{
		fmtPort("http://[::1]:%d/", c6.port),
		fmtPort("http://[0000::0001]:%d/", c6.port),
		fmtPort("http://v6.test:%d/", c6.port),
		fmtPort("http://v6mapped.test:%d/", c6.port),
		fmtPort("http://localhost:%d/", c6.port),
	} {
		t.Run(u, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), Request{URL: u})
			wantKind(t, err, KindBlockedAddress)
		})
	}
	if n := c6.accepted.Load(); n != 0 {
		t.Fatalf("IPv6 canary accepted %d connections", n)
	}
}

// TestPrivateNamesRefusedAtDial checks that names resolving to
// non-loopback private addresses are refused by the dialer's Control
// function (before connect, so no packet is sent), not by chance.
func TestPrivateNamesRefusedAtDial(t *testing.T) {
	res := newFakeResolver().
		set("ten.test", "10.9.8.7").
		set("meta.test", "169.254.169.254").
		set("ula.test", "fc00::5")
	f := testFetcher(t, Config{Resolver: res})
	for _, u := range []string{"http://ten.test/", "https://meta.test/", "http://ula.test:8080/"} {
		t.Run(u, func(t *testing.T) {
			// Check cannot know what a name resolves to; the dial must.
			if _, err := f.Check(u); err != nil {
				t.Fatalf("Check(%s) = %v, want nil", u, err)
			}
			_, err := f.Fetch(context.Background(), Request{URL: u})
			wantKind(t, err, KindBlockedAddress)
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "dial" {
				t.Fatalf("refusal did not come from the dialer: %v", err)
			}
		})
	}
}

func TestGuardDecisions(t *testing.T) {
	al, err := parseAllow([]string{
		"10.20.0.0/16",
		"127.0.0.1:9200",
		"[::1]:8081",
		"192.168.7.7",
		"64:ff9b::/96",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := Config{}.withDefaults()
	g := newGuard(cfg, al)
	cases := []struct {
		addr string
		ok   bool
	}{
		{"8.8.8.8:443", true},
		{"8.8.8.8:80", true},
		{"8.8.8.8:8443", true},
		{"8.8.8.8:22", false},
		{"[2606:4700::1111]:443", true},
		{"10.20.3.4:5432", true}, // CIDR entry: every port
		{"10.21.0.1:80", false},
		{"127.0.0.1:9200", true},
		{"127.0.0.1:9201", false}, // other loopback ports stay refused
		{"127.0.0.1:80", false},
		{"[::ffff:127.0.0.1]:9200", true}, // the same address, mapped
		{"[::1]:8081", true},
		{"[::1]:8080", false},
		{"192.168.7.7:6379", true},
		{"192.168.7.8:80", false},
		{"[64:ff9b::808:808]:443", true},   // NAT64 of 8.8.8.8, prefix opened
		{"[64:ff9b::7f00:1]:443", false},   // NAT64 of 127.0.0.1 stays refused
		{"[64:ff9b::a9fe:a9fe]:80", false}, // NAT64 of metadata
		{"[64:ff9b::a14:101]:80", true},    // NAT64 of 10.20.1.1, itself allowed
		{"169.254.169.254:80", false},
		{"100.100.100.200:80", false}, // Alibaba metadata, CGNAT
		{"[fe80::1%eth0]:80", false},
		{"[ff02::1]:80", false},
		{"224.0.0.251:80", false},
		{"255.255.255.255:80", false},
		{"0.0.0.0:80", false},
		{"[::]:80", false},
		{"192.0.0.1:80", false},
		{"240.0.0.1:80", false},
		{"[2001::1]:443", false}, // Teredo
		{"[2002:c000:0201::]:443", false},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			err := g.decide(netip.MustParseAddrPort(tc.addr), false)
			if (err == nil) != tc.ok {
				t.Fatalf("decide(%s) = %v, want allowed=%v", tc.addr, err, tc.ok)
			}
			if err != nil && err.Kind != KindBlockedAddress {
				t.Fatalf("kind %q", err.Kind)
			}
		})
	}
	t.Run("control refuses udp", func(t *testing.T) {
		if err := g.control(netip.AddrPort{})("udp4", "8.8.8.8:443", nil); KindOf(err) != KindBlockedAddress {
			t.Fatalf("udp: %v", err)
		}
	})
}

func TestAllowNameEntries(t *testing.T) {
	wiki, _ := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("wiki"))
	}))
	port := portOfServer(wiki)
	res := newFakeResolver().
		set("wiki.intranet", "127.0.0.1").
		set("other.test", "127.0.0.1")
	f := testFetcher(t, Config{
		Allow:    []string{fmtPort("wiki.intranet:%d", port)},
		Resolver: res,
	})
	t.Run("named entry opens its port", func(t *testing.T) {
		resp, err := f.Fetch(context.Background(), Request{URL: fmtPort("http://wiki.intranet:%d/", port)})
		if err != nil {
			t.Fatal(err)
		}
		if string(resp.Body) != "wiki" {
			t.Fatalf("body %q", resp.Body)
		}
	})
	t.Run("the address it resolves to, on that port, matches too", func(t *testing.T) {
		// The comparison is on the dialled IP:port, so another name for
		// the same address and port is the same destination.
		if _, err := f.Fetch(context.Background(), Request{URL: fmtPort("http://other.test:%d/", port)}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("other ports of that host stay refused", func(t *testing.T) {
		_, err := f.Fetch(context.Background(), Request{URL: fmtPort("http://wiki.intranet:%d/", port+1)})
		if KindOf(err) != KindBlockedAddress {
			t.Fatalf("got %v", err)
		}
	})
}

func TestParseAllow(t *testing.T) {
	good := []string{
		"10.0.0.0/8", "fd00::/8", "127.0.0.1", "::1", "[::1]",
		"127.0.0.1:8080", "[::1]:9000", "wiki.intranet:8080", "Search_1.corp.:9200",
	}
	if _, err := parseAllow(good); err != nil {
		t.Fatalf("good entries: %v", err)
	}
	got, err := ParseAllow(" 10.0.0.0/8 , ,127.0.0.1:9200,")
	if err != nil || len(got) != 2 {
		t.Fatalf("ParseAllow = %v, %v", got, err)
	}
	for _, bad := range []string{
		"10.0.0.0/33", "10.0.0/8", "wiki.intranet", "host:0", "host:70000", "host:http",
		"bad host:80", "fe80::1%eth0", "[fe80::1%eth0]:80", "exa mple.com:80", "-", "a..b:80",
	} {
		t.Run(bad, func(t *testing.T) {
			_, err := parseAllow([]string{bad})
			if err == nil {
				t.Fatalf("accepted %q", bad)
			}
			if !strings.Contains(err.Error(), bad) {
				t.Fatalf("error does not name the entry: %v", err)
			}
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"bad port":       {Ports: []int{0}},
		"negative body":  {MaxBodyBytes: -1},
		"negative delay": {PerHostDelay: -1},
		"bad allow":      {Allow: []string{"nonsense"}},
		"multi-line UA":  {UserAgent: "a\r\nX-Evil: 1"},
		"negative time":  {Timeout: -1},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

// TestDialGuardLiterals bypasses Check and hands refused literal addresses
// straight to the dialer, proving the Control function alone refuses them
// (before connect, so no packet is sent) should a pre-check ever miss one.
func TestDialGuardLiterals(t *testing.T) {
	c4 := newCanary(t, "tcp4", "127.0.0.1:0")
	f := testFetcher(t, Config{Ports: []int{80, 443, c4.port}})
	for _, addr := range []string{
		fmtPort("127.0.0.1:%d", c4.port),
		fmtPort("[::ffff:127.0.0.1]:%d", c4.port),
		"10.0.0.1:80", "172.16.0.1:443", "192.168.0.1:80", "100.64.0.1:80",
		"169.254.169.254:80", "[::ffff:169.254.169.254]:80", "[64:ff9b::a9fe:a9fe]:80",
		"[fc00::1]:80", "[fe80::1]:80", "224.0.0.1:80", "[ff02::1]:80",
		"255.255.255.255:80", "0.0.0.0:80", "[::]:80", "192.0.2.1:80", "[2001:db8::1]:443",
		"8.8.8.8:22",
	} {
		t.Run(addr, func(t *testing.T) {
			conn, err := f.guard.dialContext(context.Background(), "tcp", addr)
			if conn != nil {
				conn.Close()
				t.Fatal("dial succeeded")
			}
			wantKind(t, err, KindBlockedAddress)
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "dial" {
				t.Fatalf("refusal did not come from the dialer's Control: %v", err)
			}
		})
	}
	if n := c4.accepted.Load(); n != 0 {
		t.Fatalf("canary accepted %d connections", n)
	}
}
