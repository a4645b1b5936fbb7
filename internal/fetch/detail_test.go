package fetch

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestDetail holds the user's sentence to what was refused and why, and
// keeps the parser's and dialer's words out of it.
func TestDetail(t *testing.T) {
	f := testFetcher(t, Config{})
	tests := []struct {
		name, url, kind string
		want            []string
		notWant         []string
	}{
		{"space in host", "https://not a url", KindInvalidURL, []string{`URL "https://not a url" is not a valid URL`, "host name contains a space"}, []string{"code point", "fetch "}},
		{"empty host", "http:///path", KindInvalidURL, []string{"no host name"}, nil},
		{"empty host https", "HTTPS:///a/b", KindInvalidURL, []string{"no host name"}, nil},
		{"scheme", "ftp://example.com/", KindInvalidURL, []string{"only http and https", "ftp"}, nil},
		{"userinfo", "http://u:p@example.com/", KindInvalidURL, []string{"user name or password"}, nil},
		{"bad port", "http://example.com:99999/", KindInvalidURL, []string{"port"}, []string{"[0-65535]"}},
		{"loopback address", "http://127.0.0.1/", KindBlockedAddress, []string{"127.0.0.1 is loopback"}, []string{"port"}},
		{"private address", "http://10.1.2.3/", KindBlockedAddress, []string{"10.1.2.3 is private"}, nil},
		{"public address on a closed port", "http://93.184.216.34:9999/", KindBlockedAddress, []string{"Port 9999 is not allowed", "80, 443, 8080 and 8443"}, []string{"private", "loopback"}},
		{"name on a closed port", "http://example.com:22/", KindBlockedAddress, []string{"Port 22 is not allowed"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.Check(tt.url)
			wantKind(t, err, tt.kind)
			d := Detail(err)
			for _, w := range tt.want {
				if !strings.Contains(d, w) {
					t.Errorf("Detail = %q, want it to hold %q", d, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(d, w) {
					t.Errorf("Detail = %q, must not hold %q", d, w)
				}
			}
		})
	}
}

func TestDetailOfFetchErrors(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&Error{Kind: KindHTTP4xx, URL: "https://example.com/a", StatusCode: 404}, "The server at example.com answered 404 Not Found."},
		{&Error{Kind: KindDNSError, URL: "https://nowhere.example/a"}, "The host name nowhere.example could not be resolved."},
		{&Error{Kind: KindTimeout, URL: "https://slow.example/"}, "The server at slow.example did not answer in time."},
		{&Error{Kind: KindUnsupportedContent, URL: "https://x.example/f", ContentType: "application/pdf"}, "The server at x.example answered with application/pdf, which is not text."},
		{&Error{Kind: KindTLSError, URL: "https://x.example/", Err: fmt.Errorf("x509: certificate signed by unknown authority")}, "The secure connection to x.example failed: its certificate is not trusted or does not match, or the TLS handshake failed."},
		{fmt.Errorf("wrapped: %w", &Error{Kind: KindRobotsDisallowed, URL: "https://x.example/p", Err: fmt.Errorf("robots.txt disallows this URL for our user agent")}), "The robots.txt of x.example does not allow SpiderGo to fetch this page."},
		{fmt.Errorf("not a fetch error"), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := Detail(tt.err); got != tt.want {
			t.Errorf("Detail(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestCheckResolved refuses a name whose every address is blocked, before
// anything is fetched, and lets through names with one usable address and
// names that do not resolve (the fetch reports those on the page).
func TestCheckResolved(t *testing.T) {
	res := newFakeResolver().
		set("loop.test", "127.0.0.1", "::1").
		set("private.test", "10.0.0.1,192.168.1.1").
		set("mixed.test", "10.0.0.1,93.184.216.34").
		set("public.test", "93.184.216.34").
		set("allowed.test", "127.0.0.1")
	f := testFetcher(t, Config{Resolver: res, Allow: []string{"127.0.0.2/32"}})
	fa := testFetcher(t, Config{Resolver: res, Allow: []string{"127.0.0.1:8080"}})
	tests := []struct {
		name string
		f    *Fetcher
		url  string
		kind string
		want string
	}{
		{"loopback name", f, "http://loop.test/", KindBlockedAddress, "The host name loop.test resolves to 127.0.0.1, which is loopback"},
		{"private name", f, "https://private.test/x", KindBlockedAddress, "which is private"},
		{"one public address", f, "http://mixed.test/", "", ""},
		{"public name", f, "http://public.test/", "", ""},
		{"unknown name passes", f, "http://nowhere.test/", "", ""},
		{"allowed address", fa, "http://allowed.test:8080/", "", ""},
		{"allowed address, other port", fa, "http://allowed.test/", KindBlockedAddress, "loopback"},
		{"literal still checked", f, "http://10.0.0.9/", KindBlockedAddress, "10.0.0.9 is private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.f.CheckResolved(context.Background(), tt.url)
			wantKind(t, err, tt.kind)
			// The verdict is remembered: the same answer again, and no
			// second look-up.
			before := res.lookups()
			_, err = tt.f.CheckResolved(context.Background(), tt.url+"again")
			if n := res.lookups() - before; n != 0 && tt.name != "unknown name passes" {
				t.Errorf("%d look-ups for a name just checked", n)
			}
			wantKind(t, err, tt.kind)
			if d := Detail(err); !strings.Contains(d, tt.want) {
				t.Errorf("Detail = %q, want it to hold %q", d, tt.want)
			}
		})
	}
}

// TestRobotsRedirectToBlockedAddress reports a robots.txt that redirects
// into refused space as robots.txt unreachable on the page, not as the
// page's own address being refused.
func TestRobotsRedirectToBlockedAddress(t *testing.T) {
	for _, target := range []string{"http://10.0.0.1/robots.txt", "http://169.254.169.254/latest", "http://127.0.0.1:1/robots.txt"} {
		t.Run(target, func(t *testing.T) {
			s, allow := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					http.Redirect(w, r, target, http.StatusFound)
					return
				}
				fmt.Fprint(w, "<html><body>page</body></html>")
			}))
			f := testFetcher(t, Config{Allow: []string{allow}})
			_, err := f.Fetch(context.Background(), Request{URL: s.URL + "/page", RespectRobots: true})
			wantKind(t, err, KindRobotsDisallowed)
			if d := Detail(err); !strings.Contains(d, "robots.txt") || !strings.Contains(d, "unreachable") {
				t.Errorf("Detail = %q, want robots.txt unreachable", d)
			}
		})
	}
}
