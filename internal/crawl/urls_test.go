package crawl

import (
	"net/url"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want    string
		ignoreQuery bool
		ok          bool
	}{
		{"https://Example.COM/a#frag", "https://example.com/a", false, true},
		{"https://example.com:443/a", "https://example.com/a", false, true},
		{"http://example.com:80", "http://example.com/", false, true},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2", false, true},
		{"https://example.com/a?b=2&a=1", "https://example.com/a", true, true},
		{"https://example.com/a?", "https://example.com/a", false, true},
		{"https://example.com/./b/../c", "https://example.com/c", false, true},
		{"https://example.com/%7Euser", "https://example.com/%7Euser", false, true},
		{"  https://example.com/x  ", "https://example.com/x", false, true},
		{"mailto:a@example.com", "", false, false},
		{"javascript:alert(1)", "", false, false},
		{"ftp://example.com/", "", false, false},
		{"https://user:pw@example.com/", "", false, false},
		{"not a url", "", false, false},
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in, tt.ignoreQuery)
		if ok != tt.ok || got != tt.want {
			t.Errorf("Normalize(%q, %v) = %q, %v; want %q, %v", tt.in, tt.ignoreQuery, got, ok, tt.want, tt.ok)
		}
	}
}

func TestScope(t *testing.T) {
	tests := []struct {
		seed        string
		sub, ext    bool
		target      string
		wantInScope bool
	}{
		{"https://example.com/", false, false, "https://example.com/a", true},
		{"https://example.com/", false, false, "http://EXAMPLE.com/a", true},
		{"https://example.com/", false, false, "https://www.example.com/a", true},
		{"https://www.example.com/", false, false, "https://example.com/a", true},
		{"https://example.com/", false, false, "https://example.com:8443/a", false},
		{"http://example.com:8080/", false, false, "http://example.com:8080/a", true},
		{"https://example.com/", false, false, "https://blog.example.com/a", false},
		{"https://example.com/", true, false, "https://blog.example.com/a", true},
		{"https://blog.example.com/", true, false, "https://shop.example.com/a", true},
		{"https://example.com/", true, false, "https://example.org/a", false},
		{"https://example.com/", false, true, "https://example.org/a", true},
		{"https://a.github.io/", true, false, "https://b.github.io/", false}, // public suffix
	}
	for _, tt := range tests {
		s := newScope(tt.seed, tt.sub, tt.ext)
		u, _ := url.Parse(tt.target)
		if got := s.contains(u); got != tt.wantInScope {
			t.Errorf("scope(%s sub=%v ext=%v).contains(%s) = %v, want %v", tt.seed, tt.sub, tt.ext, tt.target, got, tt.wantInScope)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b=1#c", "http://[::1]:80/", "https://xn--nxasmq6b.com/", "http://a/%zz", "https://a/b/../../c?x&y=&z=1"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, ignore bool) {
		n, ok := Normalize(raw, ignore)
		if !ok {
			return
		}
		// Normalizing is idempotent: a key normalizes to itself.
		again, ok := Normalize(n, ignore)
		if !ok || again != n {
			t.Fatalf("Normalize not idempotent: %q → %q → %q (%v)", raw, n, again, ok)
		}
		if _, err := url.Parse(n); err != nil {
			t.Fatalf("Normalize(%q) = %q, which net/url rejects: %v", raw, n, err)
		}
	})
}
