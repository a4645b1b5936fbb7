package server

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
)

type guideClient struct {
	name string
	run  func() ([]byte, error)
}

// guideClients are the integration guide's curl, JavaScript and Python
// examples with the base URL, key and target replaced; each runs only when
// its tool is installed.
func guideClients(base, key, target string) []guideClient {
	payload := `{"url":"` + target + `"}`
	js := `
const API_BASE_URL = process.argv[2];
const apiKey = process.argv[3];
async function scrape(url) {
  const response = await fetch(` + "`${API_BASE_URL}/v1/scrape`" + `, {
    method: "POST",
    headers: {"Content-Type": "application/json", Authorization: ` + "`Bearer ${apiKey}`" + `},
    body: JSON.stringify({ url }),
  });
  if (!response.ok) {
    const error = await response.json().catch(() => ({}));
    throw new Error(error.message || ` + "`HTTP ${response.status}`" + `);
  }
  return response.json();
}
scrape(process.argv[4]).then(r => process.stdout.write(JSON.stringify(r))).catch(e => { console.error(e.message); process.exit(1); });
`
	py := `
import json, sys, requests
API_BASE_URL, API_KEY, target = sys.argv[1], sys.argv[2], sys.argv[3]
resp = requests.post(
    f"{API_BASE_URL}/v1/scrape",
    headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    json={"url": target},
    timeout=30,
)
resp.raise_for_status()
print(json.dumps(resp.json()))
`
	return []guideClient{
		{"curl", func() ([]byte, error) {
			return runTool("curl", "-sS", "-f", "-X", "POST", base+"/v1/scrape", "-H", "Authorization: Bearer "+key, "-H", "Content-Type: application/json", "-d", payload)
		}},
		{"javascript", func() ([]byte, error) { return runTool("node", "-e", js, "--", base, key, target) }},
		{"python", func() ([]byte, error) {
			if _, err := runTool("python3", "-c", "import requests"); err != nil {
				return nil, err
			}
			return runTool("python3", "-c", py, base, key, target)
		}},
	}
}

var errNoTool = errors.New("not installed")

func runTool(name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, errNoTool
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.New(strings.TrimSpace(stderr.String()) + ": " + err.Error())
	}
	return out.Bytes(), nil
}
