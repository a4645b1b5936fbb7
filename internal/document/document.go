// Package document turns documents fetched by SpiderGo (PDF, DOCX, ODT)
// into Markdown and plain text, with their metadata and links.
//
// PDFs are read by PDFium compiled to WebAssembly and run by wazero, so no
// C toolchain is needed. The module is compiled once per process, lazily,
// on the first PDF; each document then gets a fresh instance, at most
// Config.Workers at once, killed when Config.Timeout passes. DOCX and ODT
// files are read with archive/zip and encoding/xml under caps on entries,
// uncompressed bytes and nesting.
package document

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"strings"
	"time"
)

// Extractor names, as a page reports them.
const (
	PDF  = "pdf"
	DOCX = "docx"
	ODT  = "odt"
)

// Media types of the documents read here.
const (
	MediaPDF  = "application/pdf"
	MediaDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MediaODT  = "application/vnd.oasis.opendocument.text"
)

// Error kinds. They are part of the API contract (a page reports them in
// its Error field), so they never change spelling.
const (
	// KindEncrypted: the document needs a password to be opened.
	KindEncrypted = "document_encrypted"
	// KindNoText: the document has no text layer (a scan, images only).
	KindNoText = "document_no_text"
	// KindInvalid: the file is damaged, truncated or not what it claims.
	KindInvalid = "document_invalid"
	// KindTooLarge: the document unpacks to more than the caps allow (a
	// zip bomb, too many entries, nesting too deep).
	KindTooLarge = "document_too_large"
	// KindTimeout: reading the document took longer than Config.Timeout.
	KindTimeout = "document_timeout"
)

// Error is a document that could not be read, and why.
type Error struct {
	Kind string
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "document: " + e.Kind
	}
	return "document: " + e.Kind + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or "".
func KindOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return ""
}

// Detail is one sentence about a document error for the people reading a
// page's ErrorDetail.
func Detail(err error) string {
	switch KindOf(err) {
	case KindEncrypted:
		return "The document is protected by a password, so its text cannot be read."
	case KindNoText:
		return "The document has no text layer (it holds only images, such as a scan); SpiderGo does not read text from images."
	case KindInvalid:
		return "The document is damaged or is not in the format it claims, so it cannot be read."
	case KindTooLarge:
		return "The document unpacks to more than this server reads (too many parts, too much data or nesting too deep)."
	case KindTimeout:
		return "Reading the document took longer than this server allows."
	}
	return "The document could not be read."
}

func newErr(kind string, format string, args ...any) *Error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// Result is a converted document.
type Result struct {
	// Extractor is PDF, DOCX or ODT.
	Extractor string
	Markdown  string
	Text      string
	// Title is the document's title from its properties, else its first
	// heading.
	Title string
	// Metadata holds the document properties that are set: title,
	// author, subject, keywords, creator, producer, created, modified,
	// and page_count for PDFs.
	Metadata map[string]string
	// Links are the URLs the document links to (PDF link annotations,
	// DOCX and ODT hyperlinks), in order, without repeats: http(s) URLs
	// and relative references, as written.
	Links []string
	// Pages is the page count of a PDF (0 for other documents);
	// PagesRead is how many of them were read (MaxPages caps it).
	Pages, PagesRead int
}

// Truncated reports whether pages were left out under MaxPages.
func (r *Result) Truncated() bool { return r.PagesRead < r.Pages }

// Defaults for the zero fields of Config.
const (
	DefaultMaxPages  = 200
	DefaultTimeout   = 60 * time.Second
	DefaultMaxMemory = 256 << 20
	// DefaultMaxUnpacked caps the bytes read out of a DOCX or ODT archive.
	DefaultMaxUnpacked = 64 << 20
	// maxEntries caps the entries of an archive: real documents have tens.
	maxEntries = 5000
	// maxDepth caps XML nesting.
	maxDepth = 256
)

// Config sizes a Converter. The zero value is usable.
type Config struct {
	// MaxPages is how many pages of a PDF are read (DefaultMaxPages);
	// later pages are left out and the result says so.
	MaxPages int
	// Timeout bounds the reading of one document (DefaultTimeout).
	Timeout time.Duration
	// Workers bounds documents read at once (default: GOMAXPROCS).
	Workers int
	// MaxMemory bounds the memory of one PDF reader (DefaultMaxMemory).
	MaxMemory int64
	// MaxUnpacked caps the bytes unpacked from a DOCX or ODT archive
	// (DefaultMaxUnpacked).
	MaxUnpacked int64
	// CacheDir, when set, keeps the compiled PDF reader on disk so a
	// restart does not compile it again.
	CacheDir string
}

func (c Config) withDefaults() Config {
	if c.MaxPages <= 0 {
		c.MaxPages = DefaultMaxPages
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxMemory <= 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	if c.MaxUnpacked <= 0 {
		c.MaxUnpacked = DefaultMaxUnpacked
	}
	return c
}

// Converter reads documents. It is safe for concurrent use; build one per
// process and share it, since the PDF reader it compiles on first use is
// costly.
type Converter struct {
	cfg   Config
	slots chan struct{}
	pdf   pdfReader
}

// New builds a Converter; nothing is compiled until the first PDF.
func New(cfg Config) *Converter {
	cfg = cfg.withDefaults()
	return &Converter{cfg: cfg, slots: make(chan struct{}, cfg.Workers), pdf: pdfReader{cfg: cfg}}
}

// Close releases the PDF reader, if one was made.
func (c *Converter) Close() error { return c.pdf.close() }

// Convert reads data as the document kind names (PDF, DOCX or ODT). It
// waits for a free worker as long as ctx allows.
func (c *Converter) Convert(ctx context.Context, kind string, data []byte) (res *Result, err error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.slots }()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	defer func() {
		// A reader bug on hostile input must cost one page, not the
		// process.
		if r := recover(); r != nil {
			res, err = nil, newErr(KindInvalid, "reader failed: %v", r)
		}
	}()
	switch kind {
	case PDF:
		res, err = c.pdf.convert(ctx, data)
	case DOCX:
		res, err = c.convertDOCX(ctx, data)
	case ODT:
		res, err = c.convertODT(ctx, data)
	default:
		return nil, fmt.Errorf("document: unknown kind %q", kind)
	}
	if err != nil {
		if ctx.Err() != nil && KindOf(err) == "" || errors.Is(err, context.DeadlineExceeded) {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &Error{Kind: KindTimeout, Err: err}
			}
			return nil, ctx.Err()
		}
		return nil, err
	}
	res.Extractor = kind
	return res, nil
}

// Detect names the document kind of a fetched body from its media type,
// or for a generic binary type (application/octet-stream) from its first
// bytes and the URL's extension; "" when it is no document read here.
func Detect(mediaType string, head []byte, urlPath string) string {
	switch mediaType {
	case MediaPDF, "application/x-pdf":
		return PDF
	case MediaDOCX:
		return DOCX
	case MediaODT:
		return ODT
	case "application/octet-stream", "binary/octet-stream", "application/x-unknown", "application/download", "application/force-download", "":
	default:
		return ""
	}
	ext := strings.ToLower(path.Ext(urlPath))
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) && ext == ".docx":
		return DOCX
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) && ext == ".odt":
		return ODT
	}
	return ""
}
