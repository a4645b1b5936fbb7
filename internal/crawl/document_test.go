package crawl

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/document/doctest"
)

func TestDocumentPages(t *testing.T) {
	manual := doctest.BuildDOCX(doctest.Office{Title: "Manual", Paras: []doctest.Para{
		{Style: "Heading1", Runs: []doctest.Run{{Text: "Manual"}}},
		{Runs: []doctest.Run{{Text: "See "}, {Text: "the next part", Link: "/part2"}, {Text: "."}}},
	}})
	mux := http.NewServeMux()
	serve := func(path, ct string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		})
	}
	serve("/manual.docx", document.MediaDOCX, manual)
	serve("/broken.docx", document.MediaDOCX, []byte("PK\x03\x04 not a zip"))
	serve("/part2", "text/html", []byte(page("part two")))
	serve("/notes.txt", "text/plain", []byte("plain notes"))
	site := httptest.NewServer(mux)
	t.Cleanup(site.Close)
	docs := document.New(document.Config{Workers: 1})

	tests := []struct {
		name    string
		docs    *document.Converter
		path    string
		kind    string
		formats []string
		want    []string // "path extractor error" of each page
		detail  string   // in the first page's ErrorDetail
	}{
		{name: "docx", docs: docs, path: "/manual.docx", kind: spidergo.KindScrape,
			want: []string{"/manual.docx docx "}},
		{name: "crawl follows a document's links", docs: docs, path: "/manual.docx", kind: spidergo.KindCrawl,
			want: []string{"/manual.docx docx ", "/part2 html "}},
		{name: "broken", docs: docs, path: "/broken.docx", kind: spidergo.KindScrape,
			want: []string{"/broken.docx docx document_invalid"}, detail: "damaged"},
		{name: "html only", docs: docs, path: "/manual.docx", kind: spidergo.KindScrape, formats: []string{"html"},
			want: []string{"/manual.docx  unsupported_content"}, detail: "markdown, text, metadata and links"},
		{name: "documents off", path: "/manual.docx", kind: spidergo.KindScrape,
			want: []string{"/manual.docx  unsupported_content"}, detail: "not text"},
		{name: "text", docs: docs, path: "/notes.txt", kind: spidergo.KindScrape,
			want: []string{"/notes.txt text "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := api.Request{URL: site.URL + tt.path, Formats: tt.formats}
			o, err := Validate(&req, tt.kind, false, func(s string) (string, error) {
				n, ok := Normalize(s, false)
				if !ok {
					return "", fmt.Errorf("bad url %q", s)
				}
				return n, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			q := NewMemQueue()
			e := NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site), Documents: tt.docs})
			if err := e.Run(context.Background(), &Job{ID: "j", Options: o, Queue: q}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range q.Pages {
				u, _ := url.Parse(p.URL)
				got = append(got, u.Path+" "+p.Extractor+" "+p.Error)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("pages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			first := q.Pages[0]
			if !strings.Contains(first.ErrorDetail, tt.detail) {
				t.Errorf("ErrorDetail %q lacks %q", first.ErrorDetail, tt.detail)
			}
			if first.Extractor == document.DOCX && first.Error == "" {
				if first.Title != "Manual" || !strings.Contains(first.Markdown, "# Manual") || first.Links == nil || len(first.Links.Internal) != 1 {
					t.Errorf("title %q, links %v, Markdown:\n%s", first.Title, first.Links, first.Markdown)
				}
				if first.ContentType != document.MediaDOCX || first.RawHTML != "" || first.HTML != "" {
					t.Errorf("content type %q, html %q, raw_html %q", first.ContentType, first.HTML, first.RawHTML)
				}
			}
		})
	}
}
