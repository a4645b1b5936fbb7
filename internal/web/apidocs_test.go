package web

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/spidergo/spidergo/api"
)

func TestAPIDocs(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := ServeAPIReference(rec, httptest.NewRequest("GET", "/docs/api", nil)); err != nil {
		t.Fatal(err)
	}
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	page := string(body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs/api: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	csp := res.Header.Get("Content-Security-Policy")
	css, err := apiDocsFS.ReadFile("apidocs/style.css")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(css)
	for _, want := range []string{"default-src 'none'", "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy allows too much: %q", csp)
	}
	// The stylesheet in the page is exactly the hashed one, and nothing
	// is loaded from elsewhere.
	if !strings.Contains(page, "<style>"+string(css)+"</style>") {
		t.Error("the page's stylesheet is not the embedded one the policy hashes")
	}
	for _, bad := range []string{"<script", " src=", `href="http`, `href="//`, " style=", "<link", "<img", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}

	// Every operation of the document, and only those, is on the page.
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			if !strings.Contains(page, `<section class="op" id="`+op.OperationID+`">`) {
				t.Errorf("%s %s (%s) is not on the page", method, path, op.OperationID)
			}
			if !strings.Contains(page, `<span class="method">`+method+`</span> `+path+`</h3>`) {
				t.Errorf("%s %s: no heading", method, path)
			}
		}
	}
	if got := strings.Count(page, `<section class="op"`); got != n {
		t.Errorf("%d operations on the page, %d in the document", got, n)
	}

	// Text is escaped: the firecrawl tag's description says "<server>".
	if strings.Contains(page, "<server>") || !strings.Contains(page, "&lt;server&gt;/firecrawl") {
		t.Error("descriptions are not HTML-escaped")
	}
	// Request fields show their types and defaults, responses their codes.
	for _, want := range []string{`<code>only_main_content</code>`, `<code>401</code>`, "<strong>Auth:</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
