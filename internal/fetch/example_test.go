package fetch_test

import (
	"context"
	"fmt"
	"time"

	"github.com/spidergo/spidergo/internal/fetch"
)

// A scrape: pre-check the seed for a clear 400, then fetch it politely and
// tell a page with an HTTP error from no page at all.
func ExampleFetcher_Fetch() {
	f, err := fetch.New(fetch.Config{
		UserAgent: "SpiderGo/1.0 (+https://spidergo.example)",
		Allow:     []string{"10.20.0.0/16", "127.0.0.1:9200"},
	})
	if err != nil {
		panic(err)
	}
	defer f.CloseIdleConnections()

	u, err := f.Check("example.com/pricing")
	if err != nil {
		fmt.Println("400:", fetch.KindOf(err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := f.Fetch(ctx, fetch.Request{URL: u.String(), RespectRobots: true, Delay: 500 * time.Millisecond})
	switch kind := fetch.KindOf(err); kind {
	case "":
		fmt.Println(resp.StatusCode, resp.ContentType, len(resp.Body))
	case fetch.KindHTTP4xx, fetch.KindHTTP5xx, fetch.KindUnsupportedContent:
		fmt.Println("page with error", kind, resp.StatusCode)
	default:
		fmt.Println("no page:", kind)
	}
}

// The pre-check needs no network: it normalises the URL and refuses what
// can be refused from the text alone.
func ExampleFetcher_Check() {
	f, _ := fetch.New(fetch.Config{})
	for _, raw := range []string{"Example.com/a#top", "http://0x7f.1/", "ftp://example.com/", "http://example.com:22/"} {
		u, err := f.Check(raw)
		if err != nil {
			fmt.Println(fetch.KindOf(err))
			continue
		}
		fmt.Println(u)
	}
	// Output:
	// https://example.com/a
	// blocked_address
	// invalid_url
	// blocked_address
}
