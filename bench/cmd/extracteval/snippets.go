package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
)

// The snippet set: pages of kinds the article benchmark lacks (documentation,
// products and services, government, forums, recipes, listings, FAQs,
// changelogs), each labelled with text that must appear in the main content
// and text that must not (navigation, banners, footers, sidebars, related
// items). A must snippet found is a true positive, one missed a false
// negative; a must-not snippet found is a false positive. Counts are summed
// over all snippets of all pages, as trafilatura's evaluation does.

// snippetPage is one labelled page of labels.json.
type snippetPage struct {
	URL     string   `json:"url"`
	Type    string   `json:"type"`
	Must    []string `json:"must"`
	MustNot []string `json:"must_not"`
}

// snippetCounts are the summed outcomes of snippet checks.
type snippetCounts struct{ tp, fn, fp, tn int }

func (c *snippetCounts) add(o snippetCounts) {
	c.tp += o.tp
	c.fn += o.fn
	c.fp += o.fp
	c.tn += o.tn
}

func (c snippetCounts) precision() float64 {
	if c.tp+c.fp == 0 {
		return 0
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c snippetCounts) recall() float64 {
	if c.tp+c.fn == 0 {
		return 0
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

func (c snippetCounts) f1() float64 {
	p, r := c.precision(), c.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// normalizeSpace collapses every run of white space to one space, so that a
// snippet matches however the extractor broke lines.
func normalizeSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// checkSnippets scores one page's extracted text against its labels; missed
// and leaked list the snippets that failed, for -v.
func checkSnippets(pg snippetPage, text string) (c snippetCounts, missed, leaked []string) {
	text = normalizeSpace(text)
	for _, s := range pg.Must {
		if strings.Contains(text, normalizeSpace(s)) {
			c.tp++
		} else {
			c.fn++
			missed = append(missed, s)
		}
	}
	for _, s := range pg.MustNot {
		if strings.Contains(text, normalizeSpace(s)) {
			c.fp++
			leaked = append(leaked, s)
		} else {
			c.tn++
		}
	}
	return c, missed, leaked
}

// runSnippets scores each extractor on the labelled pages under dir.
// With dump set, each extractor's text is written under
// dump/<extractor>/<set>/<page>.txt.
func runSnippets(dir string, verbose bool, only, dump string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		return err
	}
	var labels map[string]snippetPage
	if err := json.Unmarshal(raw, &labels); err != nil {
		return fmt.Errorf("labels.json: %w", err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range labels {
			if !yield(k) {
				return
			}
		}
	})
	pages := make(map[string][]byte, len(names))
	for _, name := range names {
		if pages[name], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	fmt.Printf("\nsnippet set %s: %d pages\n\n", dir, len(names))
	fmt.Printf("%-16s %9s %9s %9s %9s   %s\n", "extractor", "precision", "recall", "F1", "errors", "recall by page type")
	for _, ex := range extractors {
		if only != "" && !slices.Contains(strings.Split(only, ","), ex.name) {
			continue
		}
		var total snippetCounts
		byType := map[string]*snippetCounts{}
		errs := 0
		for _, name := range names {
			pg := labels[name]
			u, err := url.Parse(pg.URL)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			text, err := ex.fn(pages[name], u)
			if err != nil {
				errs++
				text = ""
			}
			if dump != "" {
				out := filepath.Join(dump, ex.name, filepath.Base(dir))
				if err := os.MkdirAll(out, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(out, strings.TrimSuffix(name, ".html")+".txt"), []byte(text), 0o644); err != nil {
					return err
				}
			}
			c, missed, leaked := checkSnippets(pg, text)
			total.add(c)
			if byType[pg.Type] == nil {
				byType[pg.Type] = &snippetCounts{}
			}
			byType[pg.Type].add(c)
			if verbose && (len(missed) > 0 || len(leaked) > 0) {
				fmt.Printf("  %-14s %s missed %q leaked %q\n", ex.name, name, missed, leaked)
			}
		}
		var parts []string
		for _, t := range slices.Sorted(func(yield func(string) bool) {
			for k := range byType {
				if !yield(k) {
					return
				}
			}
		}) {
			parts = append(parts, fmt.Sprintf("%s %.2f", t, byType[t].recall()))
		}
		fmt.Printf("%-16s %9.3f %9.3f %9.3f %9d   %s\n", ex.name, total.precision(), total.recall(), total.f1(), errs, strings.Join(parts, ", "))
	}
	return nil
}
