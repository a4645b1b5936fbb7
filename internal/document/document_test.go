package document

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spidergo/spidergo/internal/document/doctest"
)

// The PDF reader is compiled once per test binary, and kept on disk
// between runs.
var (
	sharedOnce sync.Once
	shared     *Converter
)

func converter(t testing.TB) *Converter {
	t.Helper()
	sharedOnce.Do(func() {
		shared = New(Config{Workers: 2, Timeout: time.Minute, MaxPages: 5, CacheDir: filepath.Join(os.TempDir(), "spidergo-test-pdfium")})
	})
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

func report() doctest.PDF {
	return doctest.PDF{
		Title: "Annual Report", Author: "Ada Lovelace",
		Links: []string{"https://example.com/source", "mailto:someone@example.com"},
		Pages: [][]doctest.Line{
			{
				{Text: "Annual Report", Size: 24, Y: 720},
				{Text: "Summary", Size: 16, Y: 680},
				{Text: "This report covers the year and its", Size: 11, Y: 650},
				{Text: "main results for our readers.", Size: 11, Y: 636},
				{Text: "A second paragraph starts here.", Size: 11, Y: 600},
				{Text: "• First point", Size: 11, Y: 570},
				{Text: "• Second point", Size: 11, Y: 556},
				{Text: "1", Size: 9, Y: 40, X: 300},
			},
			{
				{Text: "Figures", Size: 16, Y: 720},
				{Text: "Region", Size: 11, Y: 690, X: 72}, {Text: "Sales", Size: 11, Y: 690, X: 250},
				{Text: "North", Size: 11, Y: 676, X: 72}, {Text: "120", Size: 11, Y: 676, X: 250},
				{Text: "South", Size: 11, Y: 662, X: 72}, {Text: "80", Size: 11, Y: 662, X: 250},
				{Text: "Notes", Size: 11, Bold: true, Y: 620},
				{Text: "Prices use *stars* and [brackets].", Size: 11, Y: 590},
				{Text: "2", Size: 9, Y: 40, X: 300},
			},
		},
	}
}

func TestPDF(t *testing.T) {
	c := converter(t)
	res, err := c.Convert(context.Background(), PDF, doctest.BuildPDF(report()))
	if err != nil {
		t.Fatal(err)
	}
	wantMD := `# Annual Report

## Summary

This report covers the year and its main results for our readers.

A second paragraph starts here.

- First point
- Second point

---

## Figures

| Region | Sales |
| --- | --- |
| North | 120 |
| South | 80 |

### Notes

Prices use \*stars\* and \[brackets\].
`
	if diff := cmp.Diff(wantMD, res.Markdown); diff != "" {
		t.Errorf("Markdown (-want +got):\n%s", diff)
	}
	wantText := "Annual Report\n\nSummary\n\nThis report covers the year and its main results for our readers.\n\nA second paragraph starts here.\n\n- First point\n- Second point\n\n\f\n\nFigures\n\nRegion\tSales\nNorth\t120\nSouth\t80\n\nNotes\n\nPrices use *stars* and [brackets].\n"
	if diff := cmp.Diff(wantText, res.Text); diff != "" {
		t.Errorf("Text (-want +got):\n%s", diff)
	}
	if res.Title != "Annual Report" || res.Metadata["author"] != "Ada Lovelace" || res.Metadata["page_count"] != "2" || res.Metadata["producer"] != "SpiderGo tests" {
		t.Errorf("metadata: title %q, %v", res.Title, res.Metadata)
	}
	if diff := cmp.Diff([]string{"https://example.com/source"}, res.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if res.Extractor != PDF || res.Pages != 2 || res.PagesRead != 2 || res.Truncated() {
		t.Errorf("extractor %q, pages %d read %d", res.Extractor, res.Pages, res.PagesRead)
	}
}

func TestPDFPageLimit(t *testing.T) {
	c := converter(t) // MaxPages 5
	var pages [][]doctest.Line
	for i := range 7 {
		pages = append(pages, []doctest.Line{{Text: "Page text number " + string(rune('A'+i)), Size: 11, Y: 700}})
	}
	res, err := c.Convert(context.Background(), PDF, doctest.BuildPDF(doctest.PDF{Pages: pages}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 7 || res.PagesRead != 5 || !res.Truncated() {
		t.Errorf("pages %d, read %d", res.Pages, res.PagesRead)
	}
	if !strings.Contains(res.Markdown, "number E") || strings.Contains(res.Markdown, "number F") {
		t.Errorf("Markdown holds the wrong pages:\n%s", res.Markdown)
	}
	if n := strings.Count(res.Markdown, "\n---\n"); n != 4 {
		t.Errorf("%d page breaks, want 4:\n%s", n, res.Markdown)
	}
	if res.Title != "" {
		t.Errorf("title %q from a document without title or heading", res.Title)
	}
}

func TestPDFErrors(t *testing.T) {
	c := converter(t)
	good := doctest.BuildPDF(report())
	tests := []struct {
		name string
		data []byte
		kind string
	}{
		{"encrypted", doctest.BuildPDF(doctest.PDF{UserPassword: "secret", Pages: [][]doctest.Line{{{Text: "hidden", Size: 11, Y: 700}}}}), KindEncrypted},
		{"image only", doctest.BuildPDF(doctest.PDF{ImageOnly: true, Pages: [][]doctest.Line{nil, nil}}), KindNoText},
		{"empty", nil, KindInvalid},
		{"not a pdf", []byte("<html>hello</html>"), KindInvalid},
		{"header only", []byte("%PDF-1.7\n"), KindInvalid},
		{"truncated", good[:len(good)/3], ""}, // PDFium may recover part of it
		{"huge declared length", []byte("%PDF-1.4\n1 0 obj\n<< /Length 99999999999 >>\nstream\nabc\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Convert(context.Background(), PDF, tt.data)
			if tt.kind == "" {
				if err != nil && KindOf(err) == "" {
					t.Fatalf("error without a kind: %v", err)
				}
				if err == nil && res.Markdown == "" {
					t.Fatal("no error and no Markdown")
				}
				return
			}
			if KindOf(err) != tt.kind {
				t.Fatalf("error %v, want kind %s", err, tt.kind)
			}
			if Detail(err) == "" {
				t.Error("no detail")
			}
		})
	}
}

func TestPDFTimeout(t *testing.T) {
	c := converter(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Convert(ctx, PDF, doctest.BuildPDF(report())); err == nil {
		t.Fatal("a cancelled conversion succeeded")
	}
	short := New(Config{Workers: 1, Timeout: time.Nanosecond, CacheDir: filepath.Join(os.TempDir(), "spidergo-test-pdfium")})
	defer short.Close()
	_, err := short.Convert(context.Background(), DOCX, doctest.BuildDOCX(doctest.Office{Paras: []doctest.Para{{Runs: []doctest.Run{{Text: "x"}}}}}))
	if KindOf(err) != KindTimeout {
		t.Fatalf("error %v, want %s", err, KindTimeout)
	}
}

func TestPDFStoppedMidway(t *testing.T) {
	var pages [][]doctest.Line
	for range 60 {
		var lines []doctest.Line
		for l := range 40 {
			lines = append(lines, doctest.Line{Text: "Text that keeps the reader busy for a while.", Size: 10, Y: float64(700 - 16*l)})
		}
		pages = append(pages, lines)
	}
	data := doctest.BuildPDF(doctest.PDF{Pages: pages})
	c := New(Config{Workers: 1, MaxPages: 100, CacheDir: filepath.Join(os.TempDir(), "spidergo-test-pdfium")})
	defer c.Close()
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		c.pdf.started = cancel // the instance is killed as soon as it runs
		res, err := c.Convert(ctx, PDF, data)
		if err == nil && res.PagesRead != 60 || err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("result %v, error %v", res, err)
		}
	}
	// The killed instances are replaced: the next document is read.
	c.pdf.started = nil
	if _, err := c.Convert(context.Background(), PDF, doctest.BuildPDF(report())); err != nil {
		t.Fatal(err)
	}
}

func office() doctest.Office {
	return doctest.Office{
		Title: "Field Manual", Author: "Grace Hopper",
		Paras: []doctest.Para{
			{Style: "Title", Runs: []doctest.Run{{Text: "Field Manual"}}},
			{Style: "Heading1", Runs: []doctest.Run{{Text: "Getting started"}}},
			{Runs: []doctest.Run{{Text: "Read "}, {Text: "all", Bold: true}, {Text: " of it, "}, {Text: "slowly", Italic: true}, {Text: ". See "}, {Text: "the site", Link: "https://example.com/manual"}, {Text: "."}}},
			{List: "bullet", Runs: []doctest.Run{{Text: "Unpack"}}},
			{List: "bullet", Level: 1, Runs: []doctest.Run{{Text: "Check the parts"}}},
			{List: "bullet", Runs: []doctest.Run{{Text: "Assemble"}}},
			{Style: "Heading2", Runs: []doctest.Run{{Text: "Steps"}}},
			{List: "number", Runs: []doctest.Run{{Text: "Turn on"}}},
			{List: "number", Runs: []doctest.Run{{Text: "Wait"}}},
			{Table: [][]string{{"Part", "Count"}, {"Bolt", "4"}, {"Nut|Washer", "8"}}},
			{Runs: []doctest.Run{{Text: "# not a heading"}}},
		},
	}
}

func TestOffice(t *testing.T) {
	c := converter(t)
	tests := []struct {
		kind   string
		data   []byte
		wantMD string
	}{
		{DOCX, doctest.BuildDOCX(office()), `# Field Manual

# Getting started

Read **all** of it, *slowly*. See [the site](https://example.com/manual).

- Unpack
   - Check the parts
- Assemble

## Steps

1. Turn on
2. Wait

| Part | Count |
| --- | --- |
| Bolt | 4 |
| Nut\|Washer | 8 |

\# not a heading
`},
		{ODT, doctest.BuildODT(office()), `# Field Manual

# Getting started

Read **all** of it, *slowly*. See [the site](https://example.com/manual).

- Unpack
- Check the parts
- Assemble

## Steps

1. Turn on
2. Wait

| Part | Count |
| --- | --- |
| Bolt | 4 |
| Nut\|Washer | 8 |

\# not a heading
`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			res, err := c.Convert(context.Background(), tt.kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantMD, res.Markdown); diff != "" {
				t.Errorf("Markdown (-want +got):\n%s", diff)
			}
			if !strings.Contains(res.Text, "Read all of it, slowly. See the site.") || !strings.Contains(res.Text, "Bolt\t4") {
				t.Errorf("Text:\n%s", res.Text)
			}
			if res.Title != "Field Manual" || res.Metadata["author"] != "Grace Hopper" || res.Extractor != tt.kind {
				t.Errorf("title %q, metadata %v, extractor %q", res.Title, res.Metadata, res.Extractor)
			}
			if diff := cmp.Diff([]string{"https://example.com/manual"}, res.Links); diff != "" {
				t.Errorf("links (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOfficeErrors(t *testing.T) {
	c := New(Config{Workers: 1, MaxUnpacked: 1 << 20})
	bomb := doctest.Zip(map[string][]byte{"word/document.xml": []byte("<w:document><w:body>" + strings.Repeat(" ", 4<<20) + "</w:body></w:document>")})
	deep := doctest.Zip(map[string][]byte{"word/document.xml": []byte("<w:document><w:body>" + strings.Repeat("<w:sdt><w:sdtContent>", 300) + "</w:body></w:document>")})
	many := map[string][]byte{"word/document.xml": []byte("<w:document><w:body/></w:document>")}
	for i := range maxEntries + 1 {
		many["f"+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = nil
	}
	tests := []struct {
		name string
		kind string
		data []byte
		want string
	}{
		{"not a zip", DOCX, []byte("PK\x03\x04garbage"), KindInvalid},
		{"empty", DOCX, nil, KindInvalid},
		{"zip without document", DOCX, doctest.Zip(map[string][]byte{"a.txt": []byte("hi")}), KindInvalid},
		{"zip without content", ODT, doctest.Zip(map[string][]byte{"a.txt": []byte("hi")}), KindInvalid},
		{"bomb", DOCX, bomb, KindTooLarge},
		{"huge declared size", DOCX, doctest.ZipDeclaring("word/document.xml", []byte("<w:document/>"), 1<<40), KindTooLarge},
		{"size declared too small", DOCX, doctest.ZipDeclaring("word/document.xml", []byte("<w:document><w:body><w:p><w:r><w:t>hello</w:t></w:r></w:p></w:body></w:document>"), 5), KindInvalid},
		{"deep nesting", DOCX, deep, KindTooLarge},
		{"too many entries", DOCX, doctest.Zip(many), KindTooLarge},
		{"broken xml", DOCX, doctest.Zip(map[string][]byte{"word/document.xml": []byte("<w:document><w:body><w:p>")}), KindNoText},
		{"no text", DOCX, doctest.Zip(map[string][]byte{"word/document.xml": []byte("<w:document><w:body><w:p/></w:body></w:document>")}), KindNoText},
		{"odt no text", ODT, doctest.BuildODT(doctest.Office{}), KindNoText},
		{"truncated", DOCX, doctest.BuildDOCX(office())[:300], KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Convert(context.Background(), tt.kind, tt.data)
			if KindOf(err) != tt.want {
				t.Fatalf("error %v, want kind %s", err, tt.want)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		mt, head, path, want string
	}{
		{"application/pdf", "", "/x", PDF},
		{"application/x-pdf", "", "/x", PDF},
		{MediaDOCX, "", "/x", DOCX},
		{MediaODT, "", "/x", ODT},
		{"application/octet-stream", "%PDF-1.7", "/download?id=3", PDF},
		{"application/octet-stream", "PK\x03\x04", "/files/report.DOCX", DOCX},
		{"binary/octet-stream", "PK\x03\x04", "/files/report.odt", ODT},
		{"application/octet-stream", "PK\x03\x04", "/files/archive.zip", ""},
		{"application/octet-stream", "GIF89a", "/a.pdf", ""},
		{"image/png", "%PDF-1.7", "/a.pdf", ""},
		{"text/html", "%PDF-1.7", "/a.pdf", ""},
	}
	for _, tt := range tests {
		if got := Detect(tt.mt, []byte(tt.head), tt.path); got != tt.want {
			t.Errorf("Detect(%q, %q, %q) = %q, want %q", tt.mt, tt.head, tt.path, got, tt.want)
		}
	}
}

// BenchmarkPDF reads a 20-page PDF of about 40 lines a page; the PDF
// reader is compiled before the timer starts.
func BenchmarkPDF(b *testing.B) {
	var pages [][]doctest.Line
	for range 20 {
		lines := []doctest.Line{{Text: "Chapter heading", Size: 18, Y: 740}}
		for l := range 40 {
			lines = append(lines, doctest.Line{Text: "A line of body text that runs across most of the page width here.", Size: 10, Y: float64(700 - 16*l)})
		}
		pages = append(pages, lines)
	}
	data := doctest.BuildPDF(doctest.PDF{Title: "Bench", Pages: pages})
	c := New(Config{Workers: 1, MaxPages: 100, CacheDir: filepath.Join(os.TempDir(), "spidergo-test-pdfium")})
	defer c.Close()
	if _, err := c.Convert(context.Background(), PDF, data); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Convert(context.Background(), PDF, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDOCX reads a Word document of 500 paragraphs.
func BenchmarkDOCX(b *testing.B) {
	o := doctest.Office{Title: "Bench"}
	for i := range 500 {
		o.Paras = append(o.Paras, doctest.Para{Runs: []doctest.Run{{Text: "Some text of a paragraph, "}, {Text: "bold", Bold: true}, {Text: " and more."}}})
		if i%50 == 0 {
			o.Paras = append(o.Paras, doctest.Para{Style: "Heading2", Runs: []doctest.Run{{Text: "Section"}}})
		}
	}
	data := doctest.BuildDOCX(o)
	c := New(Config{Workers: 1})
	for b.Loop() {
		if _, err := c.Convert(context.Background(), DOCX, data); err != nil {
			b.Fatal(err)
		}
	}
}
