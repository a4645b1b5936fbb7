package web

import "strings"

// snippet is one language's example from the integration guide.
type snippet struct {
	ID, Lang, Title, Code string
}

// keyPlaceholder stands where the user's key goes; a real key is never
// put in a page after the one that created it.
const keyPlaceholder = "sk_live_your_key"

// snippets are docs/integration's examples with base in place of the
// production URL. The key stays a placeholder.
func snippets(base string) []snippet {
	base = strings.TrimRight(base, "/")
	r := strings.NewReplacer("{{BASE}}", base, "{{KEY}}", keyPlaceholder)
	out := make([]snippet, 0, len(snippetTemplates))
	for _, s := range snippetTemplates {
		s.Code = r.Replace(s.Code)
		out = append(out, s)
	}
	return out
}

var snippetTemplates = []snippet{
	{ID: "curl", Lang: "bash", Title: "curl", Code: `curl -X POST {{BASE}}/v1/scrape \
  -H "Authorization: Bearer {{KEY}}" \
  -H "Content-Type: application/json" \
  -d '{"url":"https://example.com"}'

curl -X POST {{BASE}}/v1/crawl \
  -H "Authorization: Bearer {{KEY}}" \
  -H "Content-Type: application/json" \
  -d '{"url":"https://example.com"}'`},
	{ID: "js", Lang: "ts", Title: "JavaScript / TypeScript (fetch)", Code: `const API_BASE_URL = "{{BASE}}";
const apiKey = process.env.SPIDERGO_API_KEY;

async function scrape(url: string) {
  const response = await fetch(` + "`${API_BASE_URL}/v1/scrape`" + `, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: ` + "`Bearer ${apiKey}`" + `,
    },
    body: JSON.stringify({ url }),
  });
  if (!response.ok) {
    const error = await response.json().catch(() => ({}));
    throw new Error(error.message || ` + "`HTTP ${response.status}`" + `);
  }
  return response.json();
}`},
	{ID: "python", Lang: "python", Title: "Python (requests)", Code: `import requests

API_BASE_URL = "{{BASE}}"
API_KEY = "{{KEY}}"

resp = requests.post(
    f"{API_BASE_URL}/v1/crawl",
    headers={
        "Authorization": f"Bearer {API_KEY}",
        "Content-Type": "application/json",
    },
    json={"url": "https://example.com"},
    timeout=30,
)
resp.raise_for_status()
print(resp.json())`},
	{ID: "go", Lang: "go", Title: "Go (net/http)", Code: `package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

func main() {
	apiURL := "{{BASE}}/v1/scrape"
	apiKey := "{{KEY}}"
	payload := []byte(` + "`" + `{"url":"https://example.com"}` + "`" + `)
	req, err := http.NewRequest(http.MethodPost, apiURL, bytes.NewReader(payload))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("status=%d body=%s\n", resp.StatusCode, string(body))
}`},
}
