package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// markdown turns a crawled page's Markdown, which is text from someone
// else's site, into HTML safe to put in a dashboard page: goldmark leaves
// raw HTML out, and bluemonday's user-content policy then drops anything
// but plain formatting, links and images. The strict
// Content-Security-Policy is the second wall behind it.
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newMarkdown() *markdown {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return &markdown{md: goldmark.New(goldmark.WithExtensions(extension.GFM)), policy: p}
}

// HTML renders src; a render error yields the text escaped in a <pre>.
func (m *markdown) HTML(src string) template.HTML {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		buf.Reset()
		buf.WriteString("<pre>")
		template.HTMLEscape(&buf, []byte(src))
		buf.WriteString("</pre>")
	}
	return template.HTML(m.policy.SanitizeBytes(buf.Bytes())) // sanitized just now
}

// maxMarkdown bounds what the playground may ask to render in one call.
const maxMarkdown = 4 << 20

// renderMarkdown is the playground's renderer: {"markdown": "…"} →
// {"html": "…"}, sanitized as above, for the script to show.
func (wb *Web) renderMarkdown(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	var in struct {
		Markdown string `json:"markdown"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxMarkdown))
	if err := dec.Decode(&in); err != nil {
		return spidergo.Errorf(spidergo.EINVALID, "Send {\"markdown\": \"…\"} of at most 4 MiB.")
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]string{"html": string(wb.md.HTML(in.Markdown))})
}
