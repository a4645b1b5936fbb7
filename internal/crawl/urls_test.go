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
		seed             string
		sub, ext, entire bool
		target           string
		wantInScope      bool
	}{
		{"https://example.com/", false, false, false, "https://example.com/a", true},
		{"https://example.com/", false, false, false, "http://EXAMPLE.com/a", true},
		{"https://example.com/", false, false, false, "https://www.example.com/a", true},
		{"https://www.example.com/", false, false, false, "https://example.com/a", true},
		{"https://example.com/", false, false, false, "https://example.com:8443/a", false},
		{"http://example.com:8080/", false, false, false, "http://example.com:8080/a", true},
		{"http://example.com/", false, false, false, "https://example.com:443/a", true},
		{"https://example.com/", false, false, false, "https://blog.example.com/a", false},
		{"https://example.com/", true, false, false, "https://blog.example.com/a", true},
		{"https://blog.example.com/", true, false, false, "https://shop.example.com/a", true},
		{"https://example.com/", true, false, false, "https://example.org/a", false},
		{"https://example.com/", false, true, false, "https://example.org/a", true},
		{"https://a.github.io/", true, false, false, "https://b.github.io/", false}, // public suffix
		// The seed's directory.
		{"https://example.com/docs/", false, false, false, "https://example.com/docs/a", true},
		{"https://example.com/docs/", false, false, false, "https://example.com/docs", true},
		{"https://example.com/docs/", false, false, false, "https://www.example.com/docs/x/y", true},
		{"https://example.com/docs/", false, false, false, "https://example.com/", false},
		{"https://example.com/docs/", false, false, false, "https://example.com/docsx/a", false},
		{"https://example.com/docs/", false, false, false, "https://example.com/blog/a", false},
		{"https://example.com/docs/intro", false, false, false, "https://example.com/docs/other", true},
		{"https://example.com/docs/intro", false, false, false, "https://example.com/a.html", false},
		{"https://example.com/docs", false, false, false, "https://example.com/a.html", true},
		{"https://example.com/docs/", false, false, true, "https://example.com/blog/a", true},
		{"https://example.com/docs/", true, false, false, "https://example.com/blog/a", true},
		{"https://example.com/docs/", false, true, false, "https://example.com/blog/a", true},
	}
	for _, tt := range tests {
		s := newScope(tt.seed, tt.sub, tt.ext, tt.entire)
		u, _ := url.Parse(tt.target)
		if got := s.contains(u); got != tt.wantInScope {
			t.Errorf("scope(%s sub=%v ext=%v entire=%v).contains(%s) = %v, want %v", tt.seed, tt.sub, tt.ext, tt.entire, tt.target, got, tt.wantInScope)
		}
	}
}

func TestFoldKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"https://example.com/", "https://example.com/index.html", true},
		{"https://example.com/docs/", "https://example.com/docs/index.html", true},
		{"https://example.com/docs/", "https://example.com/docs/INDEX.HTM", true},
		{"https://example.com/docs/", "https://example.com/docs/default.aspx", true},
		{"https://example.com/docs/", "https://example.com/docs/index.php", true},
		{"https://example.com/docs/", "https://example.com/docs", true},
		{"https://example.com/docs", "https://www.example.com/docs/", true},
		{"http://example.com:8080/a", "http://www.example.com:8080/a/", true},
		{"https://example.com/a?x=1", "https://example.com/a/?x=1", true},
		{"https://example.com/a?x=1", "https://example.com/a?x=2", false},
		{"https://example.com/docs/", "https://example.com/docs/intro.html", false},
		{"https://example.com/myindex.html", "https://example.com/", false},
		{"https://example.com/a", "https://example.org/a", false},
		{"https://example.com/a", "http://example.com/a", false},
		{"https://example.com:8443/a", "https://example.com/a", false},
	}
	for _, tt := range tests {
		ua, _ := url.Parse(tt.a)
		ub, _ := url.Parse(tt.b)
		if ka, kb := foldKey(ua), foldKey(ub); (ka == kb) != tt.same {
			t.Errorf("foldKey(%s) = %q, foldKey(%s) = %q; same = %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
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
