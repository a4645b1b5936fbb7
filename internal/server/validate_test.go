package server

import (
	"strings"
	"testing"
)

// TestRequestWording holds request errors to sentences a user can act on:
// no parser internals, whole numbers asked as such, explicit zeros refused
// where the documented range starts above zero.
func TestRequestWording(t *testing.T) {
	s := newSite(t, map[string]string{"/": htmlPage("Home")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	tests := []struct {
		name, path, body string
		wantCode         string
		want             string
		notWant          string
	}{
		{"space in host", "/v1/scrape", `{"url":"https://not a url"}`, "invalid_url", `URL "https://not a url" is not a valid URL: the host name contains a space.`, "code point"},
		{"no host", "/v1/scrape", `{"url":"http:///path"}`, "invalid_url", "no host name", "dns"},
		{"fractional timeout", "/v1/scrape", `{"url":"` + s.URL + `","timeout_ms":1500.5}`, "invalid", `Field "timeout_ms" must be a whole number.`, ""},
		{"timeout_ms 0", "/v1/scrape", `{"url":"` + s.URL + `","timeout_ms":0}`, "invalid", `"timeout_ms" must be from 1000`, ""},
		{"limit 0", "/v1/crawl", `{"url":"` + s.URL + `","limit":0}`, "invalid", `"limit" must be at least 1`, ""},
		{"max_concurrency 0", "/v1/crawl", `{"url":"` + s.URL + `","max_concurrency":0}`, "invalid", `"max_concurrency" must be from 1`, ""},
		{"public address, closed port", "/v1/scrape", `{"url":"http://93.184.216.34:9999/"}`, "blocked_address", "Port 9999 is not allowed; this server fetches only ports 80, 443, 8080 and 8443.", "private"},
		{"map formats", "/v1/map", `{"url":"` + s.URL + `","formats":["markdown"]}`, "invalid", `Option "formats" does not apply to map requests.`, ""},
		{"search outside map", "/v1/crawl", `{"url":"` + s.URL + `","search":"docs"}`, "invalid", `Option "search" does not apply to crawl requests.`, ""},
		{"batch invalid url named", "/v1/batch/scrape", `{"urls":["` + s.URL + `/","https://not a url"]}`, "invalid_url", `urls[1]: URL "https://not a url" is not a valid URL`, ""},
		{"sync batch too big", "/v1/batch/scrape", `{"async":false,"urls":[` + strings.Repeat(`"`+s.URL+`/",`, 20) + `"` + s.URL + `/x"]}`, "invalid", "at most 20 URLs", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := e.call(t, "POST", tt.path, tt.body)
			if res.StatusCode != 400 {
				t.Fatalf("status = %d, want 400: %v", res.StatusCode, body)
			}
			msg, _ := body["message"].(string)
			if body["code"] != tt.wantCode || !strings.Contains(msg, tt.want) {
				t.Errorf("error = %v, want code %s and message containing %q", body, tt.wantCode, tt.want)
			}
			if tt.notWant != "" && strings.Contains(msg, tt.notWant) {
				t.Errorf("message %q holds %q", msg, tt.notWant)
			}
		})
	}
}

// TestSyncBatch answers a small batch with "async": false at once, its
// pages in input order, duplicates counted, the first URL as its URL.
func TestSyncBatch(t *testing.T) {
	s := newSite(t, map[string]string{"/a": htmlPage("A"), "/b": htmlPage("B"), "/c": htmlPage("C")})
	e := newAPIEnv(t, "", hostOf(s.Server))
	e.addUser(t, "a@example.com")
	res, body := e.call(t, "POST", "/v1/batch/scrape", `{"async":false,"urls":["`+s.URL+`/c","`+s.URL+`/a","`+s.URL+`/c","`+s.URL+`/b"]}`)
	if res.StatusCode != 200 {
		t.Fatalf("sync batch = %d %v", res.StatusCode, body)
	}
	m := msg(body)
	if m["URL"] != s.URL+"/c" || m["Status"] != "completed" {
		t.Errorf("URL = %v, Status = %v; want %s/c, completed", m["URL"], m["Status"], s.URL)
	}
	var got []string
	for _, p := range pagesOf(body) {
		got = append(got, strings.TrimPrefix(p["URL"].(string), s.URL))
	}
	if strings.Join(got, " ") != "/c /a /b" {
		t.Errorf("pages = %v, want /c /a /b", got)
	}
	if sk, _ := m["Skipped"].(map[string]any); sk["duplicate"] != float64(1) {
		t.Errorf("Skipped = %v, want duplicate 1", m["Skipped"])
	}
}
