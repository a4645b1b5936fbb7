package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spidergo/spidergo/api"
)

// output writes pages as they come, in the format asked for: to standard
// output, or one Markdown file per page under a directory with an
// index.ndjson. Pages are written as they are fetched, so a crawl of any
// size costs the memory of one page, and an interrupted crawl keeps what
// it printed.
type output struct {
	mu     sync.Mutex
	format string
	dir    string
	single bool // scrape: json is one object, markdown and text have no headers
	w      *bufio.Writer
	stderr io.Writer
	quiet  bool

	index   *os.File
	files   map[string]bool // relative paths written, to keep them apart
	links   map[string]bool // links printed, for --format links
	n       int
	failed  int
	started bool // json: the opening bracket is out
}

func newOutput(format, dir string, single bool, stdout, stderr io.Writer, quiet bool) (*output, error) {
	o := &output{format: format, dir: dir, single: single, w: bufio.NewWriter(stdout), stderr: stderr, quiet: quiet, links: map[string]bool{}, files: map[string]bool{}}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, usagef("-o %s: %v", dir, err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "index.ndjson"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, usagef("-o %s: %v", dir, err)
		}
		o.index = f
	}
	return o, nil
}

// failedPage reports whether p counts as a failure for the exit code. A
// page that asked not to be indexed was fetched as asked.
func failedPage(p *api.Page) bool {
	return p.Error != "" && p.Error != "noindex"
}

// page writes one page.
func (o *output) page(p *api.Page) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	if failedPage(p) {
		o.failed++
		if !o.quiet {
			fmt.Fprintf(o.stderr, "spidergo: %s: %s\n", p.URL, describe(p))
		}
	}
	if o.dir != "" {
		return o.file(p)
	}
	var err error
	switch o.format {
	case "markdown", "text":
		body := p.Markdown
		if o.format == "text" {
			body = p.TextContent
		}
		if !o.single {
			fmt.Fprintf(o.w, "<!-- %s -->\n", p.URL)
		}
		if body != "" {
			o.w.WriteString(strings.TrimRight(body, "\n"))
			o.w.WriteString("\n")
		}
		if !o.single {
			o.w.WriteString("\n")
		}
	case "links":
		if p.Links != nil {
			for _, l := range append(append([]string{}, p.Links.Internal...), p.Links.External...) {
				if !o.links[l] {
					o.links[l] = true
					fmt.Fprintln(o.w, l)
				}
			}
		}
	case "json":
		if o.single {
			err = writeIndented(o.w, p)
			break
		}
		if !o.started {
			o.w.WriteString("[\n")
			o.started = true
		} else {
			o.w.WriteString(",\n")
		}
		err = writeIndented(o.w, p)
	case "ndjson":
		enc := json.NewEncoder(o.w)
		enc.SetEscapeHTML(false)
		err = enc.Encode(p)
	}
	if err != nil {
		return err
	}
	return o.w.Flush()
}

func writeIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// describe is a failed page's error for people.
func describe(p *api.Page) string {
	if p.StatusCode != 0 {
		return fmt.Sprintf("%s (HTTP %d)", p.Error, p.StatusCode)
	}
	hint := ""
	if p.Error == "blocked_address" {
		hint = " (private, loopback or reserved address; --allow opens one)"
	}
	return p.Error + hint
}

// indexLine is one line of index.ndjson.
type indexLine struct {
	URL        string `json:"URL"`
	FinalURL   string `json:"FinalURL,omitempty"`
	Depth      int    `json:"Depth"`
	StatusCode int    `json:"StatusCode"`
	Title      string `json:"Title,omitempty"`
	Error      string `json:"Error"`
	File       string `json:"File,omitempty"`
}

// file writes p under o.dir and its line in the index.
func (o *output) file(p *api.Page) error {
	line := indexLine{URL: p.URL, FinalURL: p.FinalURL, Depth: p.Depth, StatusCode: p.StatusCode, Title: p.Title, Error: p.Error}
	if !failedPage(p) {
		rel := o.unique(pagePath(p.URL))
		full := filepath.Join(o.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "---\nurl: %s\n", yamlString(p.URL))
		if p.Title != "" {
			fmt.Fprintf(&b, "title: %s\n", yamlString(p.Title))
		}
		b.WriteString("---\n\n")
		b.WriteString(strings.TrimRight(p.Markdown, "\n"))
		b.WriteString("\n")
		if err := os.WriteFile(full, []byte(b.String()), 0o644); err != nil {
			return err
		}
		line.File = rel
	}
	enc := json.NewEncoder(o.index)
	enc.SetEscapeHTML(false)
	return enc.Encode(line)
}

// unique returns rel, or rel with a counter when another page already took
// it (two URLs can map to one path once odd characters are replaced).
func (o *output) unique(rel string) string {
	out := rel
	for i := 2; o.files[out]; i++ {
		out = strings.TrimSuffix(rel, ".md") + fmt.Sprintf("-%d.md", i)
	}
	o.files[out] = true
	return out
}

func yamlString(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a valid YAML scalar
	return string(b)
}

// pagePath is where a page's Markdown goes, relative to -o DIR, with "/"
// separators: host/path.md, host/path/index.md for a path ending in "/".
// Every segment keeps only letters, digits, '.', '-' and '_', and "." and
// ".." segments are renamed, so no URL can write outside DIR. A query
// becomes a short hash, so /a?x=1 and /a?x=2 stay apart.
func pagePath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "page-" + shortHash(raw) + ".md"
	}
	segs := []string{safeSegment(u.Host)}
	// Split the escaped path so that an escaped "/" (%2F) stays inside its
	// segment, as it is on the server.
	path := u.EscapedPath()
	dir := path == "" || strings.HasSuffix(path, "/")
	for _, s := range strings.Split(path, "/") {
		if s == "" {
			continue
		}
		if uns, err := url.PathUnescape(s); err == nil {
			s = uns
		}
		segs = append(segs, safeSegment(s))
	}
	if dir {
		segs = append(segs, "index")
	}
	last := segs[len(segs)-1]
	last = strings.TrimSuffix(strings.TrimSuffix(last, ".html"), ".htm")
	if last == "" {
		last = "index"
	}
	if u.RawQuery != "" {
		last += "_" + shortHash(u.RawQuery)
	}
	segs[len(segs)-1] = last + ".md"
	return strings.Join(segs, "/")
}

func safeSegment(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 100 {
		out = out[:80] + "_" + shortHash(out)
	}
	if strings.Trim(out, ".") == "" {
		out = strings.ReplaceAll(out, ".", "_")
	}
	if out == "" {
		out = "_"
	}
	return out
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// close ends the output: the closing bracket of a json array, the index.
func (o *output) close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dir == "" && o.format == "json" && !o.single {
		if o.started {
			o.w.WriteString("\n]\n")
		} else {
			o.w.WriteString("[]\n")
		}
	} else if o.dir == "" && o.format == "json" && o.single && o.n > 0 {
		o.w.WriteString("\n")
	}
	err := o.w.Flush()
	if o.index != nil {
		err = errors.Join(err, o.index.Close())
	}
	return err
}

// counts returns the pages written and how many of them failed.
func (o *output) counts() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n, o.failed
}
