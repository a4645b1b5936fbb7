package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/gocolly/colly/v2"
)

// Counters of the running configuration.
var pagesDone, pagesFailed, linksFound, markdownBytes atomic.Int64

func resetCounters() {
	for _, c := range []*atomic.Int64{&pagesDone, &pagesFailed, &linksFound, &markdownBytes} {
		c.Store(0)
	}
}

// runColly crawls siteURL with Colly v2 the way its documentation suggests
// for a parallel crawl: an async collector, a LimitRule whose Parallelism
// is the concurrency, robots.txt obeyed, one domain allowed, and every
// a[href] visited. With markdown, each page's already parsed document is
// also converted to Markdown, so that the work compares with SpiderGo's
// default formats.
func runColly(siteURL string, markdown bool, conc, limit int) (result, error) {
	var r result
	u, err := url.Parse(siteURL)
	if err != nil {
		return r, err
	}
	c := colly.NewCollector(
		colly.Async(true),
		colly.AllowedDomains(u.Hostname()),
		colly.UserAgent("SpiderGo-bench-baseline"),
		colly.MaxRequests(uint32(limit)),
	)
	c.IgnoreRobotsTxt = false
	// A pooled transport sized for the concurrency (Go's default keeps 2
	// idle connections per host), which can only dial loopback: the
	// benchmark never leaves the machine whatever a page links to.
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	c.WithTransport(&http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("crawlbench: refusing to dial %s", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: conc,
		IdleConnTimeout:     90 * time.Second,
	})
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: conc}); err != nil {
		return r, err
	}

	resetCounters()
	c.OnResponse(func(resp *colly.Response) {
		if resp.StatusCode == 200 && strings.HasPrefix(resp.Headers.Get("Content-Type"), "text/html") {
			pagesDone.Add(1)
		}
	})
	c.OnError(func(*colly.Response, error) { pagesFailed.Add(1) })
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		linksFound.Add(1)
		e.Request.Visit(e.Attr("href")) // errors are the filters at work: visited, robots, domain, limit
	})
	if markdown {
		// Registered after a[href], so it runs after the links were read
		// from the same tree.
		c.OnHTML("html", func(e *colly.HTMLElement) {
			if len(e.DOM.Nodes) == 0 {
				return
			}
			md, err := htmltomarkdown.ConvertNode(e.DOM.Nodes[0], converter.WithDomain(e.Request.URL.String()))
			if err != nil {
				pagesFailed.Add(1)
				return
			}
			markdownBytes.Add(int64(len(md)))
		})
	}

	start := time.Now()
	if err := c.Visit(siteURL + "/"); err != nil {
		return r, err
	}
	c.Wait()
	r.Seconds = time.Since(start).Seconds()
	r.Pages, r.Errors, r.Links = int(pagesDone.Load()), int(pagesFailed.Load()), int(linksFound.Load())
	if markdown {
		r.Note = fmt.Sprintf("%d MiB of Markdown", markdownBytes.Load()>>20)
	}
	return r, nil
}
