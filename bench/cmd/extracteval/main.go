// Command extracteval measures main-content extraction on the article
// extraction data set (gzipped pages plus ground-truth.json) with the
// benchmark's shingle metric. It scores SpiderGo's extractor (the text of the
// main content) and, run the same way, two baselines: readeck's
// go-readability v2 and go-trafilatura.
//
// It then scores the same extractors on a labelled set of non-news pages
// (bench/testdata/nonnews) by snippets that must and must not appear in the
// main content; see snippets.go.
//
//	cd bench && go run ./cmd/extracteval -data ../../shared/datasets/article-extraction
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"

	"github.com/spidergo/spidergo/internal/extract"
)

type truth struct {
	URL         string `json:"url"`
	ArticleBody string `json:"articleBody"`
}

type extractor struct {
	name string
	fn   func(body []byte, u *url.URL) (string, error)
}

var extractors = []extractor{
	{"spidergo", func(body []byte, u *url.URL) (string, error) {
		opts := extract.Options{Formats: []string{extract.FormatText}, OnlyMainContent: true}
		res, err := extract.Extract(body, u, opts)
		if err != nil {
			return "", err
		}
		return res.Text, nil
	}},
	{"readeck-v2", func(body []byte, u *url.URL) (string, error) {
		art, err := readability.FromReader(bytes.NewReader(body), u)
		if err != nil || art.Node == nil {
			return "", err
		}
		var b strings.Builder
		err = art.RenderText(&b)
		return b.String(), err
	}},
	{"go-trafilatura", func(body []byte, u *url.URL) (string, error) {
		res, err := trafilatura.Extract(bytes.NewReader(body), trafilatura.Options{
			OriginalURL:    u,
			EnableFallback: *trafilaturaFallback,
		})
		if err != nil {
			return "", err
		}
		return res.ContentText, nil
	}},
}

var trafilaturaFallback = flag.Bool("trafilatura-fallback", true, "let go-trafilatura fall back to its readability and DOM distiller candidates")

func main() {
	data := flag.String("data", "../../shared/datasets/article-extraction", "data set directory (ground-truth.json and html/); empty skips it")
	verbose := flag.Bool("v", false, "print per-page scores")
	only := flag.String("only", "", "comma-separated extractors to run (default all: spidergo,readeck-v2,go-trafilatura)")
	dump := flag.String("dump", "", "directory to write each extractor's text per page into")
	nonnews := flag.String("nonnews", "testdata/nonnews,testdata/multilingual,testdata/kinds,testdata/heldout,testdata/news,testdata/clutter,testdata/public,testdata/business,testdata/blogs,testdata/news2,testdata/shops2,testdata/final,testdata/final2,testdata/final3", "comma-separated labelled snippet sets (labels.json and the pages); empty skips them")
	flag.Parse()
	if *data != "" {
		if err := run(*data, *verbose, *only, *dump); err != nil {
			fmt.Fprintln(os.Stderr, "extracteval:", err)
			os.Exit(1)
		}
	}
	if *nonnews != "" {
		for _, dir := range strings.Split(*nonnews, ",") {
			if err := runSnippets(dir, *verbose, *only, *dump); err != nil {
				fmt.Fprintln(os.Stderr, "extracteval:", err)
				os.Exit(1)
			}
		}
	}
}

func run(data string, verbose bool, only, dump string) error {
	raw, err := os.ReadFile(filepath.Join(data, "ground-truth.json"))
	if err != nil {
		return err
	}
	var gt map[string]truth
	if err := json.Unmarshal(raw, &gt); err != nil {
		return fmt.Errorf("ground-truth.json: %w", err)
	}
	ids := slices.Sorted(func(yield func(string) bool) {
		for k := range gt {
			if !yield(k) {
				return
			}
		}
	})
	pages := make(map[string][]byte, len(ids))
	for _, id := range ids {
		body, err := readGz(filepath.Join(data, "html", id+".html.gz"))
		if err != nil {
			return err
		}
		pages[id] = body
	}
	fmt.Printf("%d pages\n\n", len(ids))
	fmt.Printf("%-16s %9s %9s %9s %9s %10s\n", "extractor", "precision", "recall", "F1", "errors", "time")
	for _, ex := range extractors {
		if only != "" && !slices.Contains(strings.Split(only, ","), ex.name) {
			continue
		}
		var scores []score
		errs := 0
		start := time.Now()
		for _, id := range ids {
			u, _ := url.Parse(gt[id].URL)
			text, err := ex.fn(pages[id], u)
			if err != nil {
				errs++
				text = ""
			}
			s := match(gt[id].ArticleBody, text)
			scores = append(scores, s)
			if verbose {
				p, _ := s.precision()
				r, _ := s.recall()
				fmt.Printf("  %-14s %s p=%.3f r=%.3f %s\n", ex.name, id[:12], p, r, gt[id].URL)
			}
			if dump != "" {
				dir := filepath.Join(dump, ex.name)
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, id[:12]+".txt"), []byte(text), 0o644); err != nil {
					return err
				}
			}
		}
		elapsed := time.Since(start)
		sum := summarize(scores)
		fmt.Printf("%-16s %9.3f %9.3f %9.3f %9d %10s\n", ex.name, sum.precision, sum.recall, sum.f1, errs, elapsed.Round(time.Millisecond))
	}
	return nil
}

func readGz(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(z)
}
