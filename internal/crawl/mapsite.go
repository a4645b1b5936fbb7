package crawl

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/fetch"
)

// MapResult is what Map finds: the URLs, and with o.Titles each URL with
// the text of the first link to it.
type MapResult struct {
	URLs  []string
	Links []api.MapLink // only when o.Titles
}

// Fill puts the map's answer in env: URLs ([] when none), Links when
// titles were asked, and TotalPages, the number of URLs found.
func (r *MapResult) Fill(env *api.Envelope) {
	env.URLs = r.URLs
	if env.URLs == nil {
		env.URLs = []string{}
	}
	env.Links = r.Links
	env.TotalPages = len(r.URLs)
}

// pages are the URLs found as contentless pages, the form a map's result
// is stored in.
func (r *MapResult) pages(at time.Time) []*spidergo.Page {
	title := make(map[string]string, len(r.Links))
	for _, l := range r.Links {
		title[l.URL] = l.Title
	}
	out := make([]*spidergo.Page, len(r.URLs))
	for i, u := range r.URLs {
		out[i] = &spidergo.Page{URL: u, Title: title[u], FetchedAt: at}
	}
	return out
}

// mapResultOf reads a stored map's pages back as its result.
func mapResultOf(pages []*spidergo.Page, titles bool) *MapResult {
	r := &MapResult{URLs: make([]string, len(pages))}
	for i, p := range pages {
		r.URLs[i] = p.URL
		if titles {
			r.Links = append(r.Links, api.MapLink{URL: p.URL, Title: p.Title})
		}
	}
	return r
}

// maxTitleLength bounds a link text kept as a title.
const maxTitleLength = 300

// Map is MapSite's URLs.
func (e *Engine) Map(ctx context.Context, o *Options) ([]string, error) {
	res, err := e.MapSite(ctx, o)
	if res == nil {
		return nil, err
	}
	return res.URLs, err
}

// MapSite lists a site's URLs without their content: the URLs of its sitemaps
// (unless sitemap is "skip") and the links of the seed page (unless it is
// "only"), in scope, normalized, without duplicates (equivalent spellings
// folded unless o.FoldSimilar is off), at most o.Limit. With o.Search the
// URLs holding the most search terms come first. A seed the address guard
// refuses is returned as the fetch error.
func (e *Engine) MapSite(ctx context.Context, o *Options) (*MapResult, error) {
	seed := o.Seeds[0]
	sc := newScope(seed, o.AllowSubdomains, o.AllowExternal, o.EntireSite)
	st := &runState{job: &Job{Options: o}, scope: sc}
	seen := map[string]bool{}
	var found []api.MapLink
	add := func(raw, title string) bool {
		if len(found) >= o.Limit {
			return false
		}
		key, u, ok := normalizeParsed(raw, o.IgnoreQuery)
		if !ok || seen[key] || !sc.contains(u) || !st.pathAllowed(u) {
			return false
		}
		seen[key] = true
		if o.FoldSimilar {
			f := "\x00" + foldKey(u)
			if seen[f] {
				return false
			}
			seen[f] = true
		}
		found = append(found, api.MapLink{URL: key, Title: title})
		return true
	}
	add(seed, "")
	if o.Sitemap != "only" {
		if err := e.slots.acquire(ctx, "map:"+seed); err != nil {
			return &MapResult{URLs: []string{}}, err
		}
		resp, err := e.fetcher.Fetch(ctx, fetch.Request{URL: seed, Header: o.Header, RespectRobots: o.RespectRobots, Timeout: o.Timeout})
		e.slots.release()
		if fetch.KindOf(err) == fetch.KindBlockedAddress {
			return nil, err
		}
		if resp != nil && len(resp.Body) > 0 && isHTML(resp.ContentType) {
			base, _ := url.Parse(resp.FinalURL)
			if err := e.parse.Acquire(ctx, e.parseWait); err != nil {
				return nil, err
			}
			links := anchors(resp.Body, base)
			e.parse.Release()
			if len(found) > 0 && found[0].Title == "" {
				found[0].Title = links.title
			}
			for _, l := range links.links {
				add(l.URL, l.Title)
			}
		}
	}
	if o.Sitemap != "skip" {
		e.sitemapURLs(ctx, seed, o, o.Limit-len(found), func(u string) bool { return add(u, "") })
	}
	if len(o.Search) > 0 {
		rank(found, o.Search)
	}
	res := &MapResult{URLs: make([]string, len(found))}
	for i, l := range found {
		res.URLs[i] = l.URL
	}
	if o.Titles {
		res.Links = found
	}
	return res, ctx.Err()
}

// rank puts the links holding the most search terms (in the URL or the
// title, case-insensitive) first, keeping the found order among equals.
func rank(links []api.MapLink, terms []string) {
	score := make(map[string]int, len(links))
	for _, l := range links {
		hay := strings.ToLower(l.URL + " " + l.Title)
		n := 0
		for _, t := range terms {
			if strings.Contains(hay, t) {
				n++
			}
		}
		score[l.URL] = n
	}
	slices.SortStableFunc(links, func(a, b api.MapLink) int { return score[b.URL] - score[a.URL] })
}

// pageAnchors are the links of a page with their text, and its title.
type pageAnchors struct {
	title string
	links []api.MapLink
}

// anchors reads a page's <title>, <base href> and <a href> links with
// their text in one pass of the tokenizer: all map needs, without building
// the tree extraction builds. Relative links are resolved against the base.
func anchors(body []byte, pageURL *url.URL) pageAnchors {
	var out pageAnchors
	z := html.NewTokenizer(bytes.NewReader(body))
	base := pageURL
	var text strings.Builder
	inA, inTitle := -1, false
	for {
		switch z.Next() {
		case html.ErrorToken:
			if inA >= 0 {
				out.links[inA].Title = cleanTitle(text.String())
			}
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch atom.Lookup(name) {
			case atom.Title:
				inTitle = out.title == ""
				text.Reset()
			case atom.Base:
				if href := attrOf(z, hasAttr, "href"); href != "" && pageURL != nil {
					if b, err := pageURL.Parse(href); err == nil {
						base = b
					}
				}
			case atom.A, atom.Area:
				if inA >= 0 {
					out.links[inA].Title = cleanTitle(text.String())
					inA = -1
				}
				href := attrOf(z, hasAttr, "href")
				if href == "" || href[0] == '#' || base == nil {
					continue
				}
				u, err := base.Parse(href)
				if err != nil {
					continue
				}
				out.links = append(out.links, api.MapLink{URL: u.String()})
				inA = len(out.links) - 1
				text.Reset()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Title:
				if inTitle {
					out.title = cleanTitle(text.String())
					inTitle = false
				}
			case atom.A:
				if inA >= 0 {
					out.links[inA].Title = cleanTitle(text.String())
					inA = -1
				}
			}
		case html.TextToken:
			if (inA >= 0 || inTitle) && text.Len() < 4*maxTitleLength {
				text.Write(z.Text())
			}
		}
	}
}

func attrOf(z *html.Tokenizer, more bool, name string) string {
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == name {
			return strings.TrimSpace(string(v))
		}
	}
	return ""
}

// cleanTitle collapses white space and bounds the length.
func cleanTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxTitleLength {
		s = strings.ToValidUTF8(s[:maxTitleLength], "") + "…"
	}
	return s
}
