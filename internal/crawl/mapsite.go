package crawl

import (
	"context"
	"net/url"

	"github.com/spidergo/spidergo/internal/extract"
	"github.com/spidergo/spidergo/internal/fetch"
)

// Map lists a site's URLs without their content: the URLs of its sitemaps
// (unless sitemap is "skip") and the links of the seed page (unless it is
// "only"), in scope, normalized, without duplicates, at most o.Limit. A seed
// the address guard refuses is returned as the fetch error.
func (e *Engine) Map(ctx context.Context, o *Options) ([]string, error) {
	seed := o.Seeds[0]
	sc := newScope(seed, o.AllowSubdomains, o.AllowExternal)
	st := &runState{job: &Job{Options: o}, scope: sc}
	seen := map[string]bool{}
	var out []string
	add := func(raw string) {
		key, ok := Normalize(raw, o.IgnoreQuery)
		if !ok || seen[key] || len(out) >= o.Limit {
			return
		}
		u, err := url.Parse(key)
		if err != nil || !sc.contains(u) || !st.pathAllowed(u) {
			return
		}
		seen[key] = true
		out = append(out, key)
	}
	add(seed)
	if o.Sitemap != "only" {
		if err := e.slots.acquire(ctx, "map:"+seed); err != nil {
			return out, err
		}
		resp, err := e.fetcher.Fetch(ctx, fetch.Request{URL: seed, Header: o.Header, RespectRobots: o.RespectRobots, Timeout: o.Timeout})
		e.slots.release()
		if fetch.KindOf(err) == fetch.KindBlockedAddress {
			return nil, err
		}
		if resp != nil && len(resp.Body) > 0 && isHTML(resp.ContentType) {
			base, _ := url.Parse(resp.FinalURL)
			e.parse <- struct{}{}
			res, xerr := extract.Extract(resp.Body, base, extract.Options{Formats: []string{extract.FormatLinks}, SubdomainsInternal: o.AllowSubdomains})
			<-e.parse
			if xerr == nil {
				for _, l := range res.Links.Internal {
					add(l)
				}
				for _, l := range res.Links.External {
					add(l)
				}
			}
		}
	}
	if o.Sitemap != "skip" {
		for _, u := range e.sitemapURLs(ctx, seed, o, o.Limit) {
			add(u)
		}
	}
	return out, ctx.Err()
}
