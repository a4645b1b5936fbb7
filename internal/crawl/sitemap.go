package crawl

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"

	"github.com/spidergo/spidergo/internal/fetch"
)

// Sitemap bounds: a hostile site cannot make a crawl read sitemaps forever.
const (
	maxSitemaps     = 20
	maxSitemapDepth = 3
)

// sitemapURLs reads the seed site's /sitemap.xml (and the sitemaps an index
// names, gzip'd or not) and hands each page URL to add, until add has
// taken limit of them. add reports whether it took the URL, so URLs out of
// scope do not use up the limit before the ones in scope are read.
func (e *Engine) sitemapURLs(ctx context.Context, seed string, o *Options, limit int, add func(string) bool) {
	queue := []string{sitemapURL(seed)}
	depth := map[string]int{queue[0]: 0}
	fetched, taken := 0, 0
	for len(queue) > 0 && fetched < maxSitemaps && taken < limit && ctx.Err() == nil {
		sm := queue[0]
		queue = queue[1:]
		fetched++
		resp, err := e.fetcher.Fetch(ctx, fetch.Request{URL: sm, Header: o.Header, RespectRobots: o.RespectRobots, Timeout: o.Timeout, AcceptGzip: true})
		if err != nil || resp == nil || len(resp.Body) == 0 {
			continue
		}
		pages, children := parseSitemap(resp.Body)
		for _, u := range pages {
			if taken >= limit {
				break
			}
			if add(u) {
				taken++
			}
		}
		if depth[sm] < maxSitemapDepth {
			for _, c := range children {
				if _, seen := depth[c]; !seen {
					depth[c] = depth[sm] + 1
					queue = append(queue, c)
				}
			}
		}
	}
}

// parseSitemap reads a urlset (page URLs) or a sitemapindex (child sitemap
// URLs). It streams tokens, so a large sitemap costs little memory, and
// stops at the first syntax error with what it has.
func parseSitemap(body []byte) (pages, children []string) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	var inLoc bool
	var parent string
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return pages, children
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if t.Name.Local == "loc" && len(stack) >= 2 {
				inLoc, parent = true, stack[len(stack)-2]
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			inLoc = false
		case xml.CharData:
			if !inLoc {
				continue
			}
			loc := string(bytes.TrimSpace(t))
			if loc == "" {
				continue
			}
			switch parent {
			case "url":
				pages = append(pages, loc)
			case "sitemap":
				children = append(children, loc)
			}
		}
	}
}
