package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/client"
)

// fakeServer answers like a SpiderGo server would, so that the examples
// run without one.
func fakeServer() *httptest.Server {
	mux := http.NewServeMux()
	page := &api.Page{URL: "https://example.com/", StatusCode: 200, Title: "Example Domain", Markdown: "# Example Domain"}
	envelope := func(w http.ResponseWriter, status int, env *api.Envelope) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Remaining", "999")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.Response{Message: env})
	}
	mux.HandleFunc("POST /v1/scrape", func(w http.ResponseWriter, r *http.Request) {
		envelope(w, 200, &api.Envelope{CRID: "c1", Status: api.StatusCompleted, TotalPages: 1, Pages: []*api.Page{page}})
	})
	mux.HandleFunc("POST /v1/crawl", func(w http.ResponseWriter, r *http.Request) {
		envelope(w, 202, &api.Envelope{CRID: "c2", Status: api.StatusQueued})
	})
	mux.HandleFunc("GET /v1/crawl/{id}", func(w http.ResponseWriter, r *http.Request) {
		envelope(w, 200, &api.Envelope{CRID: "c2", Status: api.StatusCompleted, TotalPages: 1, Pages: []*api.Page{page}})
	})
	mux.HandleFunc("GET /v1/crawl/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		json.NewEncoder(w).Encode(api.StreamLine{Type: "page", Page: page})
		json.NewEncoder(w).Encode(api.StreamLine{Type: "summary", Job: &api.Envelope{CRID: "c2", Status: api.StatusCompleted, TotalPages: 1}})
	})
	mux.HandleFunc("POST /v1/map", func(w http.ResponseWriter, r *http.Request) {
		envelope(w, 200, &api.Envelope{CRID: "m1", Status: api.StatusCompleted, URLs: []string{"https://example.com/", "https://example.com/about"}})
	})
	mux.HandleFunc("GET /v1/usage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "36000")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(api.Error{Message: "This API key has used its 1000 requests for today.", Code: "quota_exceeded", RequestID: "r1"})
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := fakeServer() // your server: "http://localhost:8080"
	defer srv.Close()
	ctx := context.Background()

	c, err := client.New(srv.URL, "sk_live_example")
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Scrape(ctx, &api.Request{URL: "https://example.com", Formats: []string{"markdown"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Pages[0].Title, "-", res.Pages[0].Markdown)
	fmt.Println("requests left today:", res.RateLimit.Remaining)
	// Output:
	// Example Domain - # Example Domain
	// requests left today: 999
}

func ExampleClient_StartCrawl() {
	srv := fakeServer()
	defer srv.Close()
	ctx := context.Background()
	c, _ := client.New(srv.URL, "sk_live_example")

	crid, err := c.StartCrawl(ctx, &api.Request{URL: "https://example.com", Limit: api.Ptr(500)})
	if err != nil {
		log.Fatal(err)
	}
	job, err := c.Wait(ctx, crid)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.Status, job.TotalPages)
	for p, err := range c.Pages(ctx, crid) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.URL, p.StatusCode)
	}
	// Output:
	// completed 1
	// https://example.com/ 200
}

func ExampleIsQuota() {
	srv := fakeServer()
	defer srv.Close()
	c, _ := client.New(srv.URL, "sk_live_example")

	_, err := c.Usage(context.Background())
	var e *client.Error
	if client.IsQuota(err) && errors.As(err, &e) {
		fmt.Println("quota spent; retry in", e.RetryAfter)
	}
	// Output:
	// quota spent; retry in 10h0m0s
}

func ExampleClient_Stream() {
	srv := fakeServer()
	defer srv.Close()
	ctx := context.Background()
	c, _ := client.New(srv.URL, "sk_live_example")

	crid, err := c.StartCrawl(ctx, &api.Request{URL: "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	for line, err := range c.Stream(ctx, crid) {
		if err != nil {
			log.Fatal(err)
		}
		switch line.Type {
		case "page":
			fmt.Println("page:", line.Page.URL)
		case "summary":
			fmt.Println("done:", line.Job.Status, line.Job.TotalPages)
		}
	}
	// Output:
	// page: https://example.com/
	// done: completed 1
}

func ExampleClient_Map() {
	srv := fakeServer()
	defer srv.Close()
	c, _ := client.New(srv.URL, "sk_live_example")

	res, err := c.Map(context.Background(), &api.Request{URL: "https://example.com", Sitemap: "include"})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range res.URLs {
		fmt.Println(u)
	}
	// Output:
	// https://example.com/
	// https://example.com/about
}
