package crawl

import (
	"testing"

	whatwg "github.com/nlnwa/whatwg-url/url"
)

// extractStyle serializes ref resolved against base the way extract returns
// a page's links: WHATWG-parsed, without fragment, http(s) only.
func extractStyle(base, ref string) (string, bool) {
	p := whatwg.NewParser()
	b, err := p.Parse(base)
	if err != nil {
		return "", false
	}
	u, err := b.Parse(ref)
	if err != nil || (u.Scheme() != "http" && u.Scheme() != "https") || u.Hostname() == "" {
		return "", false
	}
	return u.Href(true), true
}

// checkLinkKey fails when the short way of normalizing an extracted link
// gives anything but what the full parse gives.
func checkLinkKey(t *testing.T, link string) {
	t.Helper()
	for _, ignore := range []bool{false, true} {
		wantKey, wantURL, wantOK := normalizeParsed(link, ignore)
		gotKey, gotURL, gotOK := normalizeLink(link, ignore)
		if gotKey != wantKey || gotOK != wantOK {
			t.Fatalf("normalizeLink(%q, %v) = %q, %v; the full parse gives %q, %v", link, ignore, gotKey, gotOK, wantKey, wantOK)
		}
		if wantOK && gotURL.String() != wantURL.String() {
			t.Fatalf("normalizeLink(%q, %v) parsed %q; the full parse gives %q", link, ignore, gotURL, wantURL)
		}
	}
}

func TestNormalizeLinkMatchesNormalize(t *testing.T) {
	tests := []struct{ base, ref string }{
		{"https://example.com/a/b", "c"},
		{"https://example.com/a/b", "../c/./d"},
		{"https://Example.com:443/", "/x"},
		{"http://example.com:80/", "//other.example.org:8080/p"},
		{"https://example.com/", "/a b/ü/%7e"},
		{"https://example.com/", "/a?b=2&a=1#f"},
		{"https://example.com/", "/a?"},
		{"https://example.com/", "/a?b=2&a=1&b=1&a=0"},
		{"https://example.com/", "/a?page=2&sort=new&utm_source=x"},
		{"https://example.com/", "/a?x&y=1"},
		{"https://example.com/", "/a?x=1&&y=2"},
		{"https://example.com/", "/a?x=1=2"},
		{"https://example.com/", "/a?x=a+b&y=%20"},
		{"https://example.com/", "?x=%zz"},
		{"https://example.com/", "/%zz"},
		{"https://example.com/", "https://user:pw@example.com/"},
		{"https://example.com/", "https://@example.com/"},
		{"https://example.com/", "http://[::1]:8080/x"},
		{"https://example.com/", "https://xn--nxasmq6b.example/"},
		{"https://example.com/", "https://bücher.example/"},
		{"https://example.com/", "/%2e%2E/x"},
		{"https://example.com/", "https://example.com./a"},
		{"https://example.com/", "https://0x7f.1/"},
		{"https://example.com/", "/a\\b"},
		{"https://example.com/", "/a%00b"},
	}
	for _, tt := range tests {
		link, ok := extractStyle(tt.base, tt.ref)
		if !ok {
			continue
		}
		checkLinkKey(t, link)
	}
}

func FuzzNormalizeLink(f *testing.F) {
	for _, s := range []string{"c", "../c?b=1&a=2", "//h.example/%7E", "/a b", "https://u@h.example/", "?", "/x#y", "/%zz", "http://[::1]/"} {
		f.Add("https://example.com/a/b", s)
	}
	f.Fuzz(func(t *testing.T, base, ref string) {
		link, ok := extractStyle(base, ref)
		if !ok {
			return
		}
		checkLinkKey(t, link)
	})
}
