package render

import (
	"strings"
	"testing"
)

func TestNeedsBrowser(t *testing.T) {
	article := "<p>" + strings.Repeat("SpiderGo turns web pages into clean text for its users. ", 40) + "</p>"
	cases := []struct {
		name string
		ct   string
		body string
		want bool
	}{
		// Pages that need a browser.
		{"create-react-app shell", "text/html; charset=utf-8", `<!doctype html><html><head><title>App</title><script defer src="/static/js/main.js"></script></head><body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>`, true},
		{"vue app mount", "text/html", `<html><body><div id="app"></div><script type="module" src="/assets/index.js"></script></body></html>`, true},
		{"next.js client-only page", "text/html", `<html><body><div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{}},"page":"/"}</script><script src="/_next/static/chunks/main.js"></script></body></html>`, true},
		{"angular app-root", "text/html", `<html><head><base href="/"></head><body><app-root></app-root><script src="runtime.js" type="module"></script><script src="main.js" type="module"></script></body></html>`, true},
		{"loading placeholder in root", "text/html", `<html><body><div id="root"><div class="spinner">Loading…</div></div><script src="/bundle.js"></script></body></html>`, true},
		{"noscript hint with a short page", "text/html", `<html><body><header>Acme dashboard</header><noscript>Please enable JavaScript to use this site.</noscript><main id="main"></main><script src="/app.js"></script></body></html>`, true},
		{"scripts and almost no text", "text/html", `<html><body><div class="container"><span>Hi</span></div><script>document.querySelector('.container').innerHTML = window.render();</script></body></html>`, true},
		{"no content type, shell", "", `<div id="root"></div><script src="/main.js"></script>`, true},

		// Pages that must stay on HTTP.
		{"static article", "text/html", `<!doctype html><html><head><title>News</title></head><body><article><h1>Headline</h1>` + article + `</article></body></html>`, false},
		{"article with analytics scripts", "text/html", `<html><head><script async src="https://analytics.example/gtag.js"></script><script>window.dataLayer=[];</script></head><body><main>` + article + `</main><script src="/menu.js"></script></body></html>`, false},
		{"article with a comments widget hint", "text/html", `<html><body><article>` + article + `</article><div id="disqus_thread"></div><noscript>Please enable JavaScript to view the comments.</noscript><script src="https://x.disqus.com/embed.js"></script></body></html>`, false},
		{"server-rendered next.js page", "text/html", `<html><body><div id="__next"><article><h1>Docs</h1>` + article + `</article></div><script id="__NEXT_DATA__" type="application/json">{"props":{}}</script><script src="/_next/main.js"></script></body></html>`, false},
		{"server-rendered react root", "text/html", `<html><body><div id="root"><nav><a href="/">Home</a></nav><h1>Shop</h1>` + article + `</div><script src="/hydrate.js"></script></body></html>`, false},
		{"small page without scripts", "text/html", `<html><body><h1>Not found</h1><p>No such page.</p></body></html>`, false},
		{"empty root without scripts", "text/html", `<html><body><div id="root"></div><p>Plain.</p></body></html>`, false},
		{"json data script only", "text/html", `<html><body><h1>Hi</h1><script type="application/ld+json">{"@type":"Thing"}</script></body></html>`, false},
		{"json", "application/json", `{"root": ""}`, false},
		{"plain text", "text/plain", `<div id="root"></div><script src="x.js"></script>`, false},
		{"empty body", "text/html", ``, false},
		{"xhtml article", "application/xhtml+xml", `<html xmlns="http://www.w3.org/1999/xhtml"><body><script src="a.js"></script>` + article + `</body></html>`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NeedsBrowser([]byte(c.body), c.ct); got != c.want {
				t.Errorf("NeedsBrowser = %v, want %v (scan: %+v)", got, c.want, scan([]byte(c.body)))
			}
		})
	}
}

func TestKeyFor(t *testing.T) {
	for name, want := range map[string]string{"Enter": "\r", "enter": "\r", "Tab": "\t", "ArrowDown": "\u0301", "Escape": "\u001b", "a": "a", "Space": " "} {
		got, ok := keyFor(name)
		if !ok || got != want {
			t.Errorf("keyFor(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if _, ok := keyFor("NoSuchKey"); ok {
		t.Error(`keyFor("NoSuchKey") accepted an unknown key`)
	}
}

func TestMobileUserAgent(t *testing.T) {
	desktop := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
	got := mobileUserAgent("", desktop)
	want := "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Mobile Safari/537.36"
	if got != want {
		t.Errorf("mobileUserAgent = %q\nwant %q", got, want)
	}
	if got := mobileUserAgent("SpiderGo/1.0", desktop); got != "SpiderGo/1.0 Mobile" {
		t.Errorf("configured agent: got %q", got)
	}
}
