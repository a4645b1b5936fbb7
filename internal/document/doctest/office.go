package doctest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"html"
	"strings"
)

// Para is one paragraph of a DOCX or ODT built here.
type Para struct {
	// Style is "Title", "Heading1" … "Heading6", or empty for body text.
	Style string
	// List makes the paragraph a list item: "bullet" or "number".
	List  string
	Level int // list depth from 0
	Runs  []Run
	// Table, when set, makes this a table instead of a paragraph.
	Table [][]string
}

// Run is a piece of text with its formatting.
type Run struct {
	Text         string
	Bold, Italic bool
	Link         string
}

// Office describes a document for BuildDOCX and BuildODT.
type Office struct {
	Title, Author string
	Paras         []Para
}

func esc(s string) string { return html.EscapeString(s) }

// BuildDOCX writes o as a Word document.
func BuildDOCX(o Office) []byte {
	var body strings.Builder
	var rels strings.Builder
	nrel := 0
	para := func(p Para) {
		body.WriteString("<w:p>")
		if p.Style != "" || p.List != "" {
			body.WriteString("<w:pPr>")
			if p.Style != "" {
				fmt.Fprintf(&body, `<w:pStyle w:val="%s"/>`, p.Style)
			}
			if p.List != "" {
				id := 1
				if p.List == "number" {
					id = 2
				}
				fmt.Fprintf(&body, `<w:numPr><w:ilvl w:val="%d"/><w:numId w:val="%d"/></w:numPr>`, p.Level, id)
			}
			body.WriteString("</w:pPr>")
		}
		for _, r := range p.Runs {
			run := "<w:r>"
			if r.Bold || r.Italic {
				run += "<w:rPr>"
				if r.Bold {
					run += "<w:b/>"
				}
				if r.Italic {
					run += "<w:i/>"
				}
				run += "</w:rPr>"
			}
			run += `<w:t xml:space="preserve">` + esc(r.Text) + "</w:t></w:r>"
			if r.Link != "" {
				nrel++
				fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="%s" TargetMode="External"/>`, 100+nrel, esc(r.Link))
				run = fmt.Sprintf(`<w:hyperlink r:id="rId%d">%s</w:hyperlink>`, 100+nrel, run)
			}
			body.WriteString(run)
		}
		body.WriteString("</w:p>")
	}
	for _, p := range o.Paras {
		if p.Table != nil {
			body.WriteString("<w:tbl>")
			for _, row := range p.Table {
				body.WriteString("<w:tr>")
				for _, c := range row {
					fmt.Fprintf(&body, `<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>`, esc(c))
				}
				body.WriteString("</w:tr>")
			}
			body.WriteString("</w:tbl>")
			continue
		}
		para(p)
	}
	files := []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` + body.String() + `</w:body></w:document>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`},
		{"word/numbering.xml", `<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="lowerLetter"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>` + esc(o.Title) + `</dc:title><dc:creator>` + esc(o.Author) + `</dc:creator></cp:coreProperties>`},
	}
	return zipOf(files)
}

// BuildODT writes o as an OpenDocument text.
func BuildODT(o Office) []byte {
	var body strings.Builder
	inList := ""
	closeList := func() {
		if inList != "" {
			body.WriteString("</text:list>")
			inList = ""
		}
	}
	for _, p := range o.Paras {
		if p.List == "" || p.List != inList {
			closeList()
		}
		if p.Table != nil {
			body.WriteString("<table:table>")
			for _, row := range p.Table {
				body.WriteString("<table:table-row>")
				for _, c := range row {
					fmt.Fprintf(&body, "<table:table-cell><text:p>%s</text:p></table:table-cell>", esc(c))
				}
				body.WriteString("</table:table-row>")
			}
			body.WriteString("</table:table>")
			continue
		}
		var runs strings.Builder
		for _, r := range p.Runs {
			t := esc(r.Text)
			switch {
			case r.Bold && r.Italic:
				t = `<text:span text:style-name="BI">` + t + "</text:span>"
			case r.Bold:
				t = `<text:span text:style-name="B">` + t + "</text:span>"
			case r.Italic:
				t = `<text:span text:style-name="I">` + t + "</text:span>"
			}
			if r.Link != "" {
				t = `<text:a xlink:type="simple" xlink:href="` + esc(r.Link) + `">` + t + "</text:a>"
			}
			runs.WriteString(t)
		}
		switch {
		case p.Style == "Title":
			body.WriteString(`<text:p text:style-name="Title">` + runs.String() + "</text:p>")
		case strings.HasPrefix(p.Style, "Heading"):
			fmt.Fprintf(&body, `<text:h text:outline-level="%s">%s</text:h>`, strings.TrimPrefix(p.Style, "Heading"), runs.String())
		case p.List != "":
			if inList == "" {
				style := "LB"
				if p.List == "number" {
					style = "LN"
				}
				fmt.Fprintf(&body, `<text:list text:style-name="%s">`, style)
				inList = p.List
			}
			body.WriteString("<text:list-item><text:p>" + runs.String() + "</text:p></text:list-item>")
		default:
			body.WriteString("<text:p>" + runs.String() + "</text:p>")
		}
	}
	closeList()
	ns := `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"`
	styles := `<office:automatic-styles><style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style><style:style style:name="I" style:family="text"><style:text-properties fo:font-style="italic"/></style:style><style:style style:name="BI" style:family="text"><style:text-properties fo:font-weight="bold" fo:font-style="italic"/></style:style><text:list-style style:name="LB"><text:list-level-style-bullet text:level="1"/></text:list-style><text:list-style style:name="LN"><text:list-level-style-number text:level="1"/></text:list-style></office:automatic-styles>`
	files := []struct{ name, data string }{
		{"mimetype", "application/vnd.oasis.opendocument.text"},
		{"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + ns + `>` + styles + `<office:body><office:text>` + body.String() + `</office:text></office:body></office:document-content>`},
		{"meta.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ` + ns + `><office:meta><dc:title>` + esc(o.Title) + `</dc:title><meta:initial-creator>` + esc(o.Author) + `</meta:initial-creator></office:meta></office:document-meta>`},
	}
	return zipOf(files)
}

func zipOf(files []struct{ name, data string }) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		method := zip.Deflate
		if f.name == "mimetype" {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: method})
		if err != nil {
			panic(err)
		}
		w.Write([]byte(f.data))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Zip writes the named files into a zip archive as they are, for
// archives that are no valid document (bombs, damaged parts).
func Zip(files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			panic(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// ZipDeclaring writes one stored entry whose header declares it
// unpacks to declared bytes, whatever data holds.
func ZipDeclaring(name string, data []byte, declared uint64) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(len(data)), UncompressedSize64: declared})
	if err != nil {
		panic(err)
	}
	w.Write(data)
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}
