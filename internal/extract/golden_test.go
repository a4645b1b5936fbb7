package extract

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// allFormats asks for every output, so the golden files show all of them.
var allFormats = []string{
	FormatMarkdown, FormatText, FormatHTML, FormatLinks, FormatImages,
	FormatMetadata, FormatProducts, FormatStructuredData,
}

func TestGolden(t *testing.T) {
	pages := []struct {
		file string
		url  string
	}{
		{"article.html", "https://gazette.example.co.uk/nature/otters-return?utm_source=feed#comments"},
		{"docs.html", "https://docs.example.dev/v2/guide/configure"},
		{"product.html", "https://huber.example/p/trail-runner-3"},
		{"graph.html", "https://kiln.example/pour-over"},
		{"windows1252.html", "http://cuisine.example.fr/recettes/crepes-chataigne"},
	}
	for _, pg := range pages {
		for _, main := range []bool{true, false} {
			name := pg.file
			golden := filepath.Join("testdata", pg.file[:len(pg.file)-len(filepath.Ext(pg.file))])
			if main {
				golden += ".main.json"
			} else {
				name += "/full"
				golden += ".full.json"
			}
			t.Run(name, func(t *testing.T) {
				body, err := os.ReadFile(filepath.Join("testdata", pg.file))
				if err != nil {
					t.Fatal(err)
				}
				u, err := url.Parse(pg.url)
				if err != nil {
					t.Fatal(err)
				}
				res, err := Extract(body, u, Options{Formats: allFormats, OnlyMainContent: main})
				if err != nil {
					t.Fatalf("Extract: %v", err)
				}
				got := marshalResult(t, res)
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("result differs from %s (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

func marshalResult(t *testing.T, res *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
