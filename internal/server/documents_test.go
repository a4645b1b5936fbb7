package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spidergo/spidergo/internal/document/doctest"
)

// docSite serves documents the way real sites do: by type, as generic
// binaries, and linked from an HTML page.
func docSite(t *testing.T) *httptest.Server {
	t.Helper()
	paper := doctest.BuildPDF(doctest.PDF{
		Title: "On Crawling", Author: "A. Researcher",
		Links: []string{"/related.html", "https://other.example/cited"},
		Pages: [][]doctest.Line{
			{{Text: "On Crawling", Size: 22, Y: 720}, {Text: "Crawlers read the web one page at a time.", Size: 11, Y: 680}},
			{{Text: "Results", Size: 15, Y: 720}, {Text: "They found many pages.", Size: 11, Y: 690}},
			{{Text: "Appendix", Size: 15, Y: 720}},
			{{Text: "Left out", Size: 15, Y: 720}},
		},
	})
	manual := doctest.BuildDOCX(doctest.Office{Title: "Manual", Paras: []doctest.Para{
		{Style: "Heading1", Runs: []doctest.Run{{Text: "Manual"}}},
		{Runs: []doctest.Run{{Text: "Press "}, {Text: "start", Bold: true}, {Text: "."}}},
	}})
	locked := doctest.BuildPDF(doctest.PDF{UserPassword: "pw", Pages: [][]doctest.Line{{{Text: "secret", Size: 11, Y: 700}}}})
	scan := doctest.BuildPDF(doctest.PDF{ImageOnly: true, Pages: [][]doctest.Line{nil}})
	mux := http.NewServeMux()
	serve := func(path, ct string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		})
	}
	serve("/paper.pdf", "application/pdf", paper)
	serve("/download", "application/octet-stream", paper)
	serve("/manual.docx", "application/octet-stream", manual)
	serve("/locked.pdf", "application/pdf", locked)
	serve("/scan.pdf", "application/pdf", scan)
	serve("/broken.pdf", "application/pdf", []byte("%PDF-1.4 this is not really a PDF"))
	serve("/", "text/html", []byte(`<html><head><title>Papers</title></head><body><main><h1>Papers</h1><p>Our papers, for everyone to read and share.</p><a href="/paper.pdf">paper</a> <a href="/manual.docx">manual</a></main></body></html>`))
	serve("/related.html", "text/html", []byte(`<html><head><title>Related</title></head><body><p>Related work.</p></body></html>`))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestScrapeDocuments(t *testing.T) {
	site := docSite(t)
	e := newAPIEnv(t, "", hostOf(site))
	e.addUser(t, "docs@example.com")
	tests := []struct {
		name, path, formats string
		wantError, wantType string
		wantExtractor       string
		want                []string // substrings of Markdown
	}{
		{name: "pdf", path: "/paper.pdf", wantType: "application/pdf", wantExtractor: "pdf",
			want: []string{"# On Crawling\n\nCrawlers read the web one page at a time.\n\n---\n\n## Results", "## Appendix"}},
		{name: "pdf as octet-stream", path: "/download", wantType: "application/pdf", wantExtractor: "pdf", want: []string{"# On Crawling"}},
		{name: "docx by extension", path: "/manual.docx", wantType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", wantExtractor: "docx",
			want: []string{"# Manual\n\nPress **start**."}},
		{name: "encrypted", path: "/locked.pdf", wantError: "document_encrypted", wantType: "application/pdf", wantExtractor: "pdf"},
		{name: "scan", path: "/scan.pdf", wantError: "document_no_text", wantType: "application/pdf", wantExtractor: "pdf"},
		{name: "broken", path: "/broken.pdf", wantError: "document_invalid", wantType: "application/pdf", wantExtractor: "pdf"},
		{name: "html only", path: "/paper.pdf", formats: `,"formats":["html"]`, wantError: "unsupported_content", wantType: "application/pdf"},
		{name: "html page", path: "/", wantType: "text/html; charset=utf-8", wantExtractor: "html", want: []string{"Our papers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.call(t, "POST", "/v1/scrape", `{"url":"`+site.URL+tt.path+`"`+tt.formats+`}`)
			if res.StatusCode != 200 {
				t.Fatalf("scrape = %d %v", res.StatusCode, body)
			}
			p := pagesOf(body)[0]
			if p["Error"] != tt.wantError || p["ContentType"] != tt.wantType || p["Extractor"] != nil && p["Extractor"] != tt.wantExtractor || p["Extractor"] == nil && tt.wantExtractor != "" {
				t.Fatalf("page Error %v (%v), ContentType %v, Extractor %v", p["Error"], p["ErrorDetail"], p["ContentType"], p["Extractor"])
			}
			if tt.wantError != "" {
				if d, _ := p["ErrorDetail"].(string); d == "" || p["Markdown"] != nil {
					t.Errorf("failed page: detail %q, Markdown %v", d, p["Markdown"])
				}
				if tt.wantError == "unsupported_content" && !strings.Contains(p["ErrorDetail"].(string), "markdown") {
					t.Errorf("detail %q does not say which formats read documents", p["ErrorDetail"])
				}
				return
			}
			md, _ := p["Markdown"].(string)
			for _, w := range tt.want {
				if !strings.Contains(md, w) {
					t.Errorf("Markdown lacks %q:\n%s", w, md)
				}
			}
			if p["RawHTML"] != nil || p["HTML"] != nil {
				t.Errorf("a document has html or raw_html")
			}
		})
	}

	// The paper has four pages and the test server reads three.
	_, body := e.call(t, "POST", "/v1/scrape", `{"url":"`+site.URL+`/paper.pdf","formats":["markdown","text","metadata","links","raw_html"]}`)
	p := pagesOf(body)[0]
	meta, _ := p["Metadata"].(map[string]any)
	if p["Title"] != "On Crawling" || meta["author"] != "A. Researcher" || meta["page_count"] != "4" || meta["pages_read"] != "3" {
		t.Errorf("title %v, metadata %v", p["Title"], meta)
	}
	if md := p["Markdown"].(string); strings.Contains(md, "Left out") {
		t.Errorf("Markdown holds a page past the limit:\n%s", md)
	}
	if tr, _ := p["Truncated"].([]any); len(tr) != 2 || tr[0] != "markdown" || tr[1] != "text" {
		t.Errorf("Truncated = %v", p["Truncated"])
	}
	if !strings.Contains(p["TextContent"].(string), "\f") {
		t.Errorf("text has no page break: %q", p["TextContent"])
	}
	links, _ := p["Links"].(map[string]any)
	if in, _ := links["Internal"].([]any); len(in) != 1 || in[0] != site.URL+"/related.html" {
		t.Errorf("links = %v", links)
	}
	if p["RawHTML"] != nil {
		t.Error("raw_html of a document was given")
	}
}

func TestCrawlReachesDocuments(t *testing.T) {
	site := docSite(t)
	e := newAPIEnv(t, "", hostOf(site))
	e.addUser(t, "crawl-docs@example.com")
	res, body := e.call(t, "POST", "/v1/crawl", `{"url":"`+site.URL+`/","limit":10}`)
	if res.StatusCode != 200 {
		t.Fatalf("crawl = %d %v", res.StatusCode, body)
	}
	got := map[string]string{}
	for _, p := range pagesOf(body) {
		ext, _ := p["Extractor"].(string)
		got[strings.TrimPrefix(p["URL"].(string), site.URL)] = ext + " " + p["Error"].(string)
	}
	want := map[string]string{
		"/": "html ", "/paper.pdf": "pdf ", "/manual.docx": "docx ",
		"/related.html": "html ", // linked from the PDF only
	}
	for u, w := range want {
		if got[u] != w {
			t.Errorf("%s: %q, want %q (all: %v)", u, got[u], w, got)
		}
	}
}
