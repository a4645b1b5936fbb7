package document

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spidergo/spidergo/internal/document/doctest"
)

// checkOutcome is what every input must give: a result with valid text,
// or an error with a kind (never a crash, a hang or a bare error).
func checkOutcome(t *testing.T, res *Result, err error) {
	t.Helper()
	if err != nil {
		if KindOf(err) == "" {
			t.Fatalf("error without a kind: %v", err)
		}
		return
	}
	if !utf8.ValidString(res.Markdown) || !utf8.ValidString(res.Text) {
		t.Fatal("output is not UTF-8")
	}
	if strings.TrimSpace(res.Text) == "" {
		t.Fatal("a document without text was accepted")
	}
}

func FuzzPDF(f *testing.F) {
	good := doctest.BuildPDF(report())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(doctest.BuildPDF(doctest.PDF{UserPassword: "pw", Pages: [][]doctest.Line{{{Text: "x", Size: 11, Y: 700}}}}))
	f.Add(doctest.BuildPDF(doctest.PDF{ImageOnly: true, Pages: [][]doctest.Line{nil}}))
	f.Add([]byte("%PDF-1.4\n1 0 obj\n<< /Length 99999999999 >>\nstream\nabc\nendstream\nendobj\ntrailer << /Root 1 0 R /Size 999999999 >>\n%%EOF\n"))
	f.Add([]byte("%PDF-1.4\n1 0 obj\n" + strings.Repeat("[", 5000) + "\nendobj\n%%EOF\n"))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Pages /Kids [1 0 R] /Count 1 >> endobj trailer << /Root 1 0 R >>"))
	c := converter(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := c.Convert(ctx, PDF, data)
		checkOutcome(t, res, err)
	})
}

func FuzzDOCX(f *testing.F) {
	f.Add(doctest.BuildDOCX(office()))
	f.Add(doctest.BuildODT(office()))
	f.Add(doctest.BuildDOCX(office())[:400])
	f.Add(doctest.Zip(map[string][]byte{"word/document.xml": []byte("<w:document><w:body>" + strings.Repeat(" ", 2<<20) + "</w:body></w:document>")}))
	f.Add(doctest.Zip(map[string][]byte{"content.xml": []byte("<office:body><office:text>" + strings.Repeat("<text:section>", 400) + "</office:text></office:body>")}))
	f.Add(doctest.Zip(map[string][]byte{"word/document.xml": []byte("<w:document><w:body>" + strings.Repeat("<w:tbl><w:tr><w:tc>", 100) + "<w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>")}))
	f.Add(doctest.ZipDeclaring("word/document.xml", []byte("<w:document/>"), 1<<40))
	f.Add(doctest.ZipDeclaring("content.xml", []byte("<office:body><office:text><text:p>hi</text:p></office:text></office:body>"), 3))
	c := New(Config{Workers: 1, Timeout: 10 * time.Second, MaxUnpacked: 4 << 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []string{DOCX, ODT} {
			res, err := c.Convert(context.Background(), kind, data)
			checkOutcome(t, res, err)
		}
	})
}
