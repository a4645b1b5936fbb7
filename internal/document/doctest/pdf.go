// Package doctest builds small PDF, DOCX and ODT files for SpiderGo's
// tests: documents are made in the test rather than committed.
package doctest

import (
	"bytes"
	"crypto/md5"
	"crypto/rc4"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Line is one line of text on a PDF page, placed at Y points from the
// bottom of the page, in the regular or the bold font at Size points.
type Line struct {
	Text string
	Size float64
	Bold bool
	X, Y float64
}

// PDF describes a document for BuildPDF.
type PDF struct {
	Title, Author string
	// Pages hold the text of each page; a nil page carries no text.
	Pages [][]Line
	// ImageOnly draws a small grey image on every page instead of text,
	// like a scan without a text layer.
	ImageOnly bool
	// UserPassword, when set, encrypts the document (standard security
	// handler, revision 2), so it cannot be opened without the password.
	UserPassword string
	// Links are URIs of link annotations put on the first page.
	Links []string
}

// BuildPDF writes p as a valid PDF 1.4 file with a cross-reference table.
func BuildPDF(p PDF) []byte {
	var objs []string // objs[i] is object i+1
	add := func(s string) int { objs = append(objs, s); return len(objs) }
	reserve := func() int { objs = append(objs, ""); return len(objs) }

	catalog := reserve()
	pages := reserve()
	font := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	bold := add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	img := add("<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n\x40\x80\xc0\xff\nendstream")
	var kids []string
	for i, lines := range p.Pages {
		var c strings.Builder
		if p.ImageOnly {
			c.WriteString("q 400 0 0 400 100 200 cm /Im1 Do Q\n")
		}
		for _, l := range lines {
			f := "F1"
			if l.Bold {
				f = "F2"
			}
			x := l.X
			if x == 0 {
				x = 72
			}
			fmt.Fprintf(&c, "BT /%s %g Tf %g %g Td (%s) Tj ET\n", f, l.Size, x, l.Y, escapePDF(l.Text))
		}
		content := add(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.String()))
		annots := ""
		if i == 0 && len(p.Links) > 0 {
			var refs []string
			for j, u := range p.Links {
				a := add(fmt.Sprintf("<< /Type /Annot /Subtype /Link /Rect [72 %d 300 %d] /Border [0 0 0] /A << /S /URI /URI (%s) >> >>", 100+20*j, 115+20*j, escapePDF(u)))
				refs = append(refs, fmt.Sprintf("%d 0 R", a))
			}
			annots = " /Annots [" + strings.Join(refs, " ") + "]"
		}
		page := add(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R%s >>",
			pages, font, bold, img, content, annots))
		kids = append(kids, fmt.Sprintf("%d 0 R", page))
	}
	objs[catalog-1] = fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages)
	objs[pages-1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids))

	id := md5.Sum([]byte(p.Title + p.Author))
	var encrypt int
	if p.UserPassword != "" {
		o, u := standardSecurity(p.UserPassword, "owner-"+p.UserPassword, id[:])
		encrypt = add(fmt.Sprintf("<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <%x> /U <%x> >>", o, u))
	}
	info := 0
	if p.Title != "" || p.Author != "" {
		info = add(fmt.Sprintf("<< /Title (%s) /Author (%s) /Producer (SpiderGo tests) >>", escapePDF(p.Title), escapePDF(p.Author)))
		if encrypt != 0 {
			// Strings of an encrypted file are encrypted too; the info
			// dictionary is left without them so it never reads as garbage.
			objs[info-1] = "<< >>"
		}
	}

	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R", len(objs)+1, catalog)
	if info != 0 {
		fmt.Fprintf(&b, " /Info %d 0 R", info)
	}
	if encrypt != 0 {
		fmt.Fprintf(&b, " /Encrypt %d 0 R", encrypt)
	}
	fmt.Fprintf(&b, " /ID [<%x> <%x>] >>\nstartxref\n%d\n%%%%EOF\n", id, id, xref)
	return b.Bytes()
}

// escapePDF writes s as the bytes of a PDF string in WinAnsiEncoding.
func escapePDF(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	enc, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		enc = s
	}
	return r.Replace(enc)
}

// passwordPad is the padding string of the PDF standard security handler.
var passwordPad = []byte{0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A}

func padPassword(pw string) []byte {
	out := append([]byte(pw), passwordPad...)
	return out[:32]
}

// standardSecurity computes the /O and /U entries of a revision 2
// encryption dictionary with 40-bit keys and permissions -4.
func standardSecurity(user, owner string, id []byte) (o, u []byte) {
	ok := md5.Sum(padPassword(owner))
	c, _ := rc4.NewCipher(ok[:5])
	o = make([]byte, 32)
	c.XORKeyStream(o, padPassword(user))

	h := md5.New()
	h.Write(padPassword(user))
	h.Write(o)
	h.Write([]byte{0xfc, 0xff, 0xff, 0xff}) // P = -4, little-endian
	h.Write(id)
	key := h.Sum(nil)[:5]
	c, _ = rc4.NewCipher(key)
	u = make([]byte, 32)
	c.XORKeyStream(u, passwordPad)
	return o, u
}
