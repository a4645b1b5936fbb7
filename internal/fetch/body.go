package fetch

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// errBodyTooLarge is what the capped readers return past the cap; it
// travels through the decompressors unchanged and becomes KindTooLarge.
var errBodyTooLarge = errors.New("body exceeds the size cap")

// bodyResult is a read body. err is only ever KindUnsupportedContent:
// every other failure is returned as an error and loses the body.
type bodyResult struct {
	contentType string
	charset     string
	data        []byte
	payload     int64
	err         *Error
}

// contentClass is how a media type is handled.
type contentClass int

const (
	classUnknown contentClass = iota // no usable Content-Type: sniff
	classHTML
	classXML
	classJSON
	classText
	classGzip  // a gzip file, acceptable for sitemaps
	classOctet // generic binary: may be a gzip file or a document
	classBinary
)

// Media types of the documents Request.AcceptDocuments admits.
const (
	mediaPDF  = "application/pdf"
	mediaDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	mediaODT  = "application/vnd.oasis.opendocument.text"
)

// documentType names the document media type of a type sent by a server,
// or "".
func documentType(mt string) string {
	switch mt {
	case mediaPDF, "application/x-pdf":
		return mediaPDF
	case mediaDOCX, mediaODT:
		return mt
	}
	return ""
}

// sniffDocument names the document type of a generic binary answer from
// its first bytes and, for zip files, the URL's extension.
func sniffDocument(head []byte, urlPath string) string {
	ext := strings.ToLower(path.Ext(urlPath))
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return mediaPDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) && ext == ".docx":
		return mediaDOCX
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) && ext == ".odt":
		return mediaODT
	}
	return ""
}

func classOf(mt string) contentClass {
	switch {
	case mt == "":
		return classUnknown
	case mt == "text/html", mt == "application/xhtml+xml":
		return classHTML
	case mt == "application/xml", mt == "text/xml", strings.HasSuffix(mt, "+xml"):
		return classXML
	case mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/x-ndjson", mt == "application/jsonl":
		return classJSON
	case strings.HasPrefix(mt, "text/"),
		mt == "application/javascript", mt == "application/x-javascript", mt == "application/ecmascript",
		mt == "application/yaml", mt == "application/x-yaml", mt == "application/toml":
		return classText
	case mt == "application/gzip", mt == "application/x-gzip":
		return classGzip
	case mt == "application/octet-stream", mt == "binary/octet-stream", mt == "application/x-unknown":
		return classOctet
	}
	return classBinary
}

func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		// A malformed parameter list still names its type; keep that.
		mt = strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
		if !strings.Contains(mt, "/") {
			return ""
		}
	}
	return mt
}

// capReader yields at most max bytes of r and then errBodyTooLarge if r
// has more, so a bomb is stopped after producing max bytes, not before
// producing them all.
type capReader struct {
	r    io.Reader
	left int64
	n    int64
}

func newCapReader(r io.Reader, max int64) *capReader { return &capReader{r: r, left: max} }

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, errBodyTooLarge
		}
		if err == nil {
			// A reader may return 0, nil; ask again rather than guess.
			return 0, nil
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	c.n += int64(n)
	return n, err
}

// maxEncodings bounds Content-Encoding chains; real servers use one.
const maxEncodings = 3

// Decompressors are pooled: most pages arrive compressed, and a fresh gzip
// or brotli reader costs tens of kilobytes of garbage per page.
var (
	gzipPool   sync.Pool // of *gzip.Reader
	brotliPool sync.Pool // of *brotli.Reader
)

func getGzip(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipPool.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			gzipPool.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

func getBrotli(r io.Reader) *brotli.Reader {
	if br, ok := brotliPool.Get().(*brotli.Reader); ok {
		if br.Reset(r) == nil {
			return br
		}
	}
	return brotli.NewReader(r)
}

// decoders remembers the pooled decompressors of one body so they can be
// handed back once the body is read.
type decoders struct {
	gz []*gzip.Reader
	br []*brotli.Reader
}

// release returns the decompressors to their pools; the body must not be
// read afterwards.
func (d *decoders) release() {
	for _, zr := range d.gz {
		gzipPool.Put(zr)
	}
	for _, br := range d.br {
		brotliPool.Put(br)
	}
	d.gz, d.br = nil, nil
}

// decodeContent wraps body in the decoders its Content-Encoding names.
// The raw bytes are capped too, since no encoding shrinks data by design
// and an endless stream of empty deflate blocks would otherwise only meet
// the deadline. The caller releases d once done with the reader.
func decodeContent(body io.Reader, contentEncoding string, max int64, d *decoders) (io.Reader, error) {
	r := io.Reader(newCapReader(body, max))
	if contentEncoding == "" {
		return r, nil
	}
	var codings []string
	for _, c := range strings.Split(contentEncoding, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c != "" && c != "identity" {
			codings = append(codings, c)
		}
	}
	if len(codings) > maxEncodings {
		return nil, fmt.Errorf("content encoding %q has too many layers", contentEncoding)
	}
	// The last coding applied by the server is the first to undo.
	for i := len(codings) - 1; i >= 0; i-- {
		switch codings[i] {
		case "gzip", "x-gzip":
			zr, err := getGzip(r)
			if err != nil {
				return nil, fmt.Errorf("gzip body: %w", err)
			}
			d.gz = append(d.gz, zr)
			r = zr
		case "br":
			br := getBrotli(r)
			d.br = append(d.br, br)
			r = br
		case "deflate":
			// "deflate" is meant to be zlib, but some servers send raw
			// deflate; the zlib header tells them apart.
			br := bufio.NewReader(r)
			if hdr, err := br.Peek(2); err == nil && (uint16(hdr[0])<<8|uint16(hdr[1]))%31 == 0 && hdr[0]&0x0f == 8 {
				zr, err := zlib.NewReader(br)
				if err != nil {
					return nil, fmt.Errorf("deflate body: %w", err)
				}
				r = zr
			} else {
				r = flate.NewReader(br)
			}
		default:
			return nil, fmt.Errorf("content encoding %q is not supported", codings[i])
		}
	}
	return r, nil
}

// readRaw reads up to max decoded bytes and silently ignores the rest
// (robots.txt: RFC 9309 lets crawlers stop parsing after 500 KiB).
func readRaw(hr *http.Response, max int64) (bodyResult, error) {
	var d decoders
	defer d.release()
	r, err := decodeContent(hr.Body, hr.Header.Get("Content-Encoding"), max*4+sniffLen, &d)
	if err != nil {
		return bodyResult{}, &Error{Kind: KindUnsupportedContent, Err: err}
	}
	data, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil && !errors.Is(err, errBodyTooLarge) {
		return bodyResult{}, err
	}
	return bodyResult{contentType: mediaType(hr.Header.Get("Content-Type")), data: data, payload: int64(len(data))}, nil
}

// readContent reads a page body under the cap and converts text to UTF-8.
// Binary answers are identified from the header, or from a sniff of at most
// sniffLen bytes, and left unread. When maxDocument is positive, documents
// (PDF, DOCX, ODT) are read as they are under that cap instead.
func readContent(hr *http.Response, max int64, acceptGzip bool, maxDocument int64) (bodyResult, error) {
	header := hr.Header.Get("Content-Type")
	mt := mediaType(header)
	class := classOf(mt)
	unsupported := func(mt string, cause error) (bodyResult, error) {
		if cause == nil {
			cause = fmt.Errorf("content type %s is not text", mt)
		}
		return bodyResult{contentType: mt, err: &Error{Kind: KindUnsupportedContent, ContentType: mt, Err: cause}}, nil
	}
	if maxDocument > 0 {
		if dt := documentType(mt); dt != "" {
			return readDocument(hr, io.Reader(nil), dt, maxDocument)
		}
		if class == classOctet {
			// Read far enough to tell a document by its first bytes.
			var d decoders
			defer d.release()
			decoded, err := decodeContent(hr.Body, hr.Header.Get("Content-Encoding"), maxDocument, &d)
			if err != nil {
				if errors.Is(err, errBodyTooLarge) {
					return bodyResult{}, tooLarge(maxDocument)
				}
				if isDecodeError(err) {
					return unsupported(mt, err)
				}
				return bodyResult{}, err
			}
			sniff := make([]byte, sniffLen)
			n, err := io.ReadFull(decoded, sniff)
			if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
				return bodyResult{}, bodyError(err, maxDocument)
			}
			sniff = sniff[:n]
			urlPath := ""
			if hr.Request != nil && hr.Request.URL != nil {
				urlPath = hr.Request.URL.Path
			}
			if dt := sniffDocument(sniff, urlPath); dt != "" {
				return readDocument(hr, io.MultiReader(bytes.NewReader(sniff), decoded), dt, maxDocument)
			}
			isGzip := len(sniff) >= 2 && sniff[0] == 0x1f && sniff[1] == 0x8b
			if !acceptGzip || !isGzip {
				return unsupported(mt, nil)
			}
			// A gzip payload: read it as the rest of this function would,
			// from what was sniffed on.
			hr.Body = io.NopCloser(io.MultiReader(bytes.NewReader(sniff), decoded))
			hr.Header = hr.Header.Clone()
			hr.Header.Del("Content-Encoding")
		}
	}
	if class == classBinary || class == classGzip && !acceptGzip {
		return unsupported(mt, nil)
	}

	var d decoders
	defer d.release()
	decoded, err := decodeContent(hr.Body, hr.Header.Get("Content-Encoding"), max, &d)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			return bodyResult{}, tooLarge(max)
		}
		if isDecodeError(err) {
			return unsupported(mt, err)
		}
		return bodyResult{}, err
	}
	capped := newCapReader(decoded, max)
	var r io.Reader = capped

	if class == classUnknown || class == classOctet {
		sniff := make([]byte, sniffLen)
		n, err := io.ReadFull(capped, sniff)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return bodyResult{}, bodyError(err, max)
		}
		sniff = sniff[:n]
		isGzip := len(sniff) >= 2 && sniff[0] == 0x1f && sniff[1] == 0x8b
		switch {
		case class == classOctet && acceptGzip && isGzip:
			class = classGzip
		case class == classOctet:
			return unsupported(mt, nil)
		default:
			mt = mediaType(http.DetectContentType(sniff))
			class = classOf(mt)
			if dt := documentType(mt); dt != "" && maxDocument > 0 {
				// No type was sent and the body is a PDF: it stays under
				// the page cap, which was applied from the first byte.
				return readDocument(hr, io.MultiReader(bytes.NewReader(sniff), capped), dt, maxDocument)
			}
			if class == classGzip && !acceptGzip || class == classBinary || class == classOctet || class == classUnknown {
				return unsupported(mt, nil)
			}
		}
		r = io.MultiReader(bytes.NewReader(sniff), capped)
	}

	if class == classGzip {
		// The payload is a gzip file (a .xml.gz sitemap): unpack it under
		// the same cap, then treat what is inside as text.
		zr, err := getGzip(r)
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return bodyResult{}, tooLarge(max)
			}
			if isDecodeError(err) {
				return unsupported(mt, fmt.Errorf("gzip payload: %w", err))
			}
			return bodyResult{}, bodyError(err, max)
		}
		d.gz = append(d.gz, zr)
		inner := newCapReader(zr, max)
		data, err := readAllSized(inner, 0)
		if err != nil {
			if isDecodeError(err) {
				return unsupported(mt, fmt.Errorf("gzip payload: %w", err))
			}
			return bodyResult{}, bodyError(err, max)
		}
		imt := sniffInner(data)
		icls := classOf(imt)
		if icls != classXML && icls != classText && icls != classHTML && icls != classJSON {
			return unsupported(imt, fmt.Errorf("gzip payload holds %s", imt))
		}
		text, cs := toUTF8(data, icls, "")
		return bodyResult{contentType: imt, charset: cs, data: text, payload: inner.n}, nil
	}

	data, err := readAllSized(r, hintSize(hr, max))
	if err != nil {
		if isDecodeError(err) {
			return unsupported(mt, err)
		}
		return bodyResult{}, bodyError(err, max)
	}
	text, cs := toUTF8(data, class, header)
	return bodyResult{contentType: mt, charset: cs, data: text, payload: capped.n}, nil
}

// readDocument reads a document body as it is, under maxDocument. r,
// when set, is the decoded body already opened by the caller.
func readDocument(hr *http.Response, r io.Reader, mt string, maxDocument int64) (bodyResult, error) {
	var d decoders
	defer d.release()
	if r == nil {
		decoded, err := decodeContent(hr.Body, hr.Header.Get("Content-Encoding"), maxDocument, &d)
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return bodyResult{}, tooLarge(maxDocument)
			}
			if isDecodeError(err) {
				return bodyResult{contentType: mt, err: &Error{Kind: KindUnsupportedContent, ContentType: mt, Err: err}}, nil
			}
			return bodyResult{}, err
		}
		r = decoded
	}
	capped := newCapReader(r, maxDocument)
	data, err := readAllSized(capped, hintSize(hr, maxDocument))
	if err != nil {
		if isDecodeError(err) {
			return bodyResult{contentType: mt, err: &Error{Kind: KindUnsupportedContent, ContentType: mt, Err: err}}, nil
		}
		return bodyResult{}, bodyError(err, maxDocument)
	}
	return bodyResult{contentType: mt, data: data, payload: capped.n}, nil
}

// sniffInner names the type of a decompressed payload: XML is what
// sitemaps hold, and DetectContentType calls it text/xml.
func sniffInner(data []byte) string {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("<?xml")) || bytes.HasPrefix(trimmed, []byte("<urlset")) || bytes.HasPrefix(trimmed, []byte("<sitemapindex")) {
		return "application/xml"
	}
	return mediaType(http.DetectContentType(data))
}

// hintSize pre-sizes the buffer from Content-Length when the body is not
// encoded, sparing the doubling copies for the common case.
func hintSize(hr *http.Response, max int64) int {
	if hr.ContentLength > 0 && hr.Header.Get("Content-Encoding") == "" {
		return int(min(hr.ContentLength, max))
	}
	return 0
}

func readAllSized(r io.Reader, hint int) ([]byte, error) {
	var buf bytes.Buffer
	if hint > 0 {
		buf.Grow(hint + 1)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

func tooLarge(max int64) *Error {
	return &Error{Kind: KindTooLarge, Err: fmt.Errorf("body exceeds %d bytes after decompression", max)}
}

func bodyError(err error, max int64) error {
	if errors.Is(err, errBodyTooLarge) {
		return tooLarge(max)
	}
	return err
}

// isDecodeError tells a corrupt compressed stream (the content's fault)
// from a network failure while reading it.
func isDecodeError(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, zlib.ErrHeader) || errors.Is(err, zlib.ErrChecksum) ||
		errors.As(err, &corrupt) || strings.HasPrefix(err.Error(), "brotli:") ||
		strings.Contains(err.Error(), "content encoding")
}

// toUTF8 converts a text body to UTF-8 and names the charset it came from.
// The order follows the HTML standard: byte order mark, then the
// Content-Type charset, then the document's own declaration (<meta> for
// HTML, the XML declaration for XML), then sniffing.
func toUTF8(body []byte, class contentClass, contentType string) ([]byte, string) {
	var (
		enc  encoding.Encoding
		name string
	)
	switch {
	case bytes.HasPrefix(body, []byte("\xef\xbb\xbf")):
		return validUTF8(body[3:]), "utf-8"
	case bytes.HasPrefix(body, []byte("\xfe\xff")):
		enc, name = charset.Lookup("utf-16be")
		body = body[2:]
	case bytes.HasPrefix(body, []byte("\xff\xfe")):
		enc, name = charset.Lookup("utf-16le")
		body = body[2:]
	}
	if enc == nil {
		if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
			enc, name = charset.Lookup(params["charset"])
		}
	}
	if enc == nil {
		switch class {
		case classHTML:
			var certain bool
			enc, name, certain = charset.DetermineEncoding(body, "text/html")
			// DetermineEncoding looks at the first 1 KiB only; a page whose
			// first KiB is ASCII and whose text is UTF-8 would otherwise be
			// read as windows-1252.
			if !certain && name == "windows-1252" && !hasMetaCharset(body) && utf8.Valid(body) {
				enc, name = nil, "utf-8"
			}
		case classXML:
			if label := xmlDeclaredEncoding(body); label != "" {
				enc, name = charset.Lookup(label)
			}
		}
	}
	if enc == nil {
		switch {
		case utf8.Valid(body):
			name = "utf-8"
		case class == classHTML || class == classText:
			// Legacy text without a declaration is most often
			// windows-1252, which is also what browsers assume.
			enc, name = charset.Lookup("windows-1252")
		default:
			// JSON and XML are UTF-8 unless declared otherwise.
			name = "utf-8"
		}
	}
	if name == "utf-8" || enc == nil || enc == encoding.Nop {
		return validUTF8(body), "utf-8"
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return validUTF8(body), "utf-8"
	}
	// A BOM inside the declared encoding decodes to U+FEFF; it is not text.
	out = bytes.TrimPrefix(out, []byte("\ufeff"))
	return validUTF8(out), name
}

// hasMetaCharset reports whether the head of an HTML document declares a
// charset; then DetermineEncoding's answer was read from it and stands.
func hasMetaCharset(body []byte) bool {
	head := body[:min(len(body), 1024)]
	return bytes.Contains(bytes.ToLower(head), []byte("charset"))
}

func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// xmlDeclaredEncoding returns the encoding pseudo-attribute of an XML
// declaration at the start of body, or "".
func xmlDeclaredEncoding(body []byte) string {
	if !bytes.HasPrefix(body, []byte("<?xml")) {
		return ""
	}
	end := bytes.Index(body[:min(len(body), 1024)], []byte("?>"))
	if end < 0 {
		return ""
	}
	decl := string(body[5:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return ""
	}
	q := rest[0]
	j := strings.IndexByte(rest[1:], q)
	if j < 0 {
		return ""
	}
	return rest[1 : 1+j]
}
