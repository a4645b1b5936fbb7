package render_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/render"
)

// The renderer shares the fetcher's guard. A page fetched over HTTP goes to
// the browser only when the "auto" rule says it needs one.
func Example() {
	f, err := fetch.New(fetch.Config{UserAgent: "SpiderGo/1.0"})
	if err != nil {
		log.Fatal(err)
	}
	b, err := render.New(render.Config{}, f)
	if errors.Is(err, render.ErrNotInstalled) {
		fmt.Println("rendering is not installed; staying on HTTP")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	ctx := context.Background()
	resp, err := f.Fetch(ctx, fetch.Request{URL: "https://example.com/app", RespectRobots: true})
	if err != nil {
		log.Fatal(err)
	}
	html := string(resp.Body)
	if render.NeedsBrowser(resp.Body, resp.ContentType) {
		res, err := b.Render(ctx, render.Request{
			URL:           resp.FinalURL,
			RespectRobots: true,
			WaitFor:       "#content",
			Actions:       []render.Action{{Type: render.ActionScroll, Direction: "bottom"}},
			Timeout:       30 * time.Second,
		})
		switch render.KindOf(err) {
		case "", fetch.KindHTTP4xx, fetch.KindHTTP5xx, render.KindWaitFor, render.KindActionFailed:
			html = res.HTML // the page, perhaps with an error to record
		default:
			log.Printf("render failed: %v", err)
		}
	}
	fmt.Println(len(html) > 0)
}
