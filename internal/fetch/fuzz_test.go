package fetch

import (
	"bytes"
	"errors"
	"net/netip"
	"net/url"
	"testing"

	"github.com/temoto/robotstxt"
)

// FuzzCheck holds Check to its contract on any input: no panic; a refusal
// is an *Error of kind invalid_url or blocked_address; an accepted URL is
// http(s) with a host, no userinfo and no fragment, a literal IP in it is
// one the guard allows, and checking it again gives the same URL.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{
		"example.com", "https://example.com/a?b#c", "http://2130706433/", "http://0x7f.1/",
		"http://017700000001/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::7f00:1]/",
		"http://169.254.169.254/", "http://user:pass@example.com/", "ftp://example.com/", "//example.com",
		"http://münchen.de/", "http://ex%41mple.com/", "http://example.com:8080/", "localhost:8080",
		"http://[fe80::1%25eth0]/", "javascript:alert(1)", "http:\\\\example.com\\a", "http://0/",
		"http://a.b.c.d.e/", "http://10.1.2.3:9200/", "HTTP://EXAMPLE.COM.", "http://xn--nxasmq6b/",
	} {
		f.Add(seed)
	}
	fetcher, err := New(Config{Allow: []string{"10.1.0.0/16", "127.0.0.1:9200", "wiki.intranet:9000"}, Resolver: newFakeResolver()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := fetcher.Check(raw)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || (fe.Kind != KindInvalidURL && fe.Kind != KindBlockedAddress) {
				t.Fatalf("Check(%q) failed with %v", raw, err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("Check(%q) accepted scheme %q", raw, u.Scheme)
		}
		if u.User != nil || u.Hostname() == "" || u.Fragment != "" {
			t.Fatalf("Check(%q) = %q: userinfo, empty host or fragment", raw, u)
		}
		port, err := portOf(u)
		if err != nil {
			t.Fatalf("Check(%q) = %q with a bad port: %v", raw, u, err)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			if e := fetcher.guard.decide(netip.AddrPortFrom(ip, port), false); e != nil {
				t.Fatalf("Check(%q) accepted %s, which the guard refuses: %v", raw, u, e)
			}
		}
		again, err := fetcher.Check(u.String())
		if err != nil {
			t.Fatalf("Check(%q) = %q, which Check refuses: %v", raw, u, err)
		}
		if again.String() != u.String() {
			t.Fatalf("normalisation is not stable: %q → %q → %q", raw, u, again)
		}
	})
}

// FuzzRobots holds the robots.txt handling to: no panic; the sanitised
// file always parses (so no file is thrown away whole for one bad line);
// sanitising is idempotent; the Crawl-delay is within [0, MaxCrawlDelay].
func FuzzRobots(f *testing.F) {
	for _, seed := range []struct{ body, path string }{
		{"User-agent: *\nDisallow: /private\n", "/private/a"},
		{"User-agent: SpiderGo\nDisallow: /\nUser-agent: *\nAllow: /\n", "/"},
		{"User-agent: *\nCrawl-delay: 1e309\n", "/"},
		{"User-agent: *\nCrawl-delay: -1\nCrawl-delay: NaN\n", "/a"},
		{"Disallow: /x\nUser-agent: *\nDisallow: /*?q=$\n", "/x?q="},
		{"\xef\xbb\xbfUser-agent: *\r\nDisallow: /\xff\xfe\r\n", "/%ff"},
		{"User-agent: a b c\nAllow: /a b\n# comment: x\nSitemap: http://x/s.xml\n", "/a"},
		{"user-agent:*\ndisallow:\n\nuser-agent: spidergo\ndisallow: /$\n", "/"},
		{"User-agent: *\nDisallow: *\n", "/anything"},
		{"\x00:\x00\n:::\nUser-agent:\n", "/"},
	} {
		f.Add([]byte(seed.body), seed.path)
	}
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		clean := sanitizeRobots(body)
		if _, err := robotstxt.FromBytes(clean); err != nil {
			t.Fatalf("sanitised robots.txt does not parse: %v\ninput: %q\nsanitised: %q", err, body, clean)
		}
		if again := sanitizeRobots(clean); !bytes.Equal(again, clean) {
			t.Fatalf("sanitising is not idempotent:\n%q\n%q", clean, again)
		}
		rules := parseRobots(body, "spidergo")
		if rules.delay < 0 || rules.delay > MaxCrawlDelay {
			t.Fatalf("crawl delay %s out of range", rules.delay)
		}
		u, err := url.Parse("http://example.com/" + path)
		if err != nil {
			return
		}
		rules.allows(u)
		if u.Path == "/robots.txt" && !rules.allows(u) {
			t.Fatal("robots.txt itself was disallowed")
		}
	})
}
