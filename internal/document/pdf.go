package document

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	pdferrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// pdfReader owns the process's PDFium module: compiled on the first PDF,
// then shared. Every document gets a fresh instance of it, so nothing of
// one document survives into the next.
type pdfReader struct {
	cfg     Config
	mu      sync.Mutex
	pool    pdfium.Pool
	initErr error
	cache   wazero.CompilationCache
	// started, when set, is called once a document's instance is running
	// (tests stop documents midway with it).
	started func()
}

func (p *pdfReader) get() (pdfium.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool != nil || p.initErr != nil {
		return p.pool, p.initErr
	}
	rc := wazero.NewRuntimeConfig().
		// The PDFium build lowers setjmp/longjmp to exception handling.
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		// Killing an instance (timeout) interrupts the call it runs.
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(uint32(min(p.cfg.MaxMemory>>16, 65536)))
	if p.cfg.CacheDir != "" {
		if c, err := wazero.NewCompilationCacheWithDir(p.cfg.CacheDir); err == nil {
			p.cache = c
			rc = rc.WithCompilationCache(c)
		}
	}
	p.pool, p.initErr = webassembly.Init(webassembly.Config{
		MinIdle: 0, MaxIdle: p.cfg.Workers, MaxTotal: p.cfg.Workers,
		// Documents are handed over as bytes; the reader sees no files.
		FSConfig:      wazero.NewFSConfig(),
		RuntimeConfig: rc,
		Stdout:        io.Discard, Stderr: io.Discard,
	})
	if p.initErr != nil {
		p.initErr = fmt.Errorf("document: starting the PDF reader: %w", p.initErr)
	}
	return p.pool, p.initErr
}

func (p *pdfReader) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if p.pool != nil {
		err = p.pool.Close()
		p.pool = nil
	}
	if p.cache != nil {
		p.cache.Close(context.Background())
	}
	return err
}

// convert reads a PDF in a fresh instance, killed when ctx ends.
func (p *pdfReader) convert(ctx context.Context, data []byte) (*Result, error) {
	pool, err := p.get()
	if err != nil {
		return nil, err
	}
	inst, err := pool.GetInstanceWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("document: waiting for a PDF reader: %w", err)
	}
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	if p.started != nil {
		p.started()
	}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{nil, newErr(KindInvalid, "PDF reader failed: %v", r)}
			}
		}()
		res, err := readPDF(inst, data, p.cfg.MaxPages)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		inst.Close()
		return o.res, o.err
	case <-ctx.Done():
		inst.Kill()
		<-done
		return nil, ctx.Err()
	}
}

// readPDF extracts the pages, metadata and links of a PDF.
func readPDF(inst pdfium.Pdfium, data []byte, maxPages int) (*Result, error) {
	if len(data) == 0 {
		return nil, newErr(KindInvalid, "empty file")
	}
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		switch {
		case errors.Is(err, pdferrors.ErrPassword), errors.Is(err, pdferrors.ErrSecurity):
			return nil, &Error{Kind: KindEncrypted, Err: err}
		case errors.Is(err, pdferrors.ErrFormat), errors.Is(err, pdferrors.ErrFile), errors.Is(err, pdferrors.ErrUnknown), errors.Is(err, pdferrors.ErrPage):
			return nil, &Error{Kind: KindInvalid, Err: err}
		}
		if strings.Contains(err.Error(), "context") {
			return nil, err
		}
		return nil, &Error{Kind: KindInvalid, Err: err}
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Err: err}
	}
	res := &Result{Pages: pc.PageCount, PagesRead: min(pc.PageCount, maxPages), Metadata: map[string]string{}}
	if res.Pages == 0 {
		return nil, newErr(KindInvalid, "the document has no pages")
	}
	res.Metadata["page_count"] = strconv.Itoa(res.Pages)
	if md, err := inst.GetMetaData(&requests.GetMetaData{Document: doc.Document}); err == nil {
		for _, t := range md.Tags {
			v := collapse(t.Value)
			if v == "" {
				continue
			}
			switch t.Tag {
			case "Title", "Author", "Subject", "Keywords", "Creator", "Producer":
				res.Metadata[strings.ToLower(t.Tag)] = v
			case "CreationDate":
				res.Metadata["created"] = pdfDate(v)
			case "ModDate":
				res.Metadata["modified"] = pdfDate(v)
			}
		}
	}
	var pages [][]rect
	var links linkSet
	for i := range res.PagesRead {
		page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}}
		st, err := inst.GetPageTextStructured(&requests.GetPageTextStructured{Page: page, Mode: requests.GetPageTextStructuredModeRects, CollectFontInformation: true})
		if err != nil {
			if strings.Contains(err.Error(), "context") {
				return nil, err
			}
			pages = append(pages, nil) // an unreadable page reads as empty
			continue
		}
		var rs []rect
		for _, r := range st.Rects {
			x := rect{text: r.Text, left: r.PointPosition.Left, right: r.PointPosition.Right, top: r.PointPosition.Top, bottom: r.PointPosition.Bottom}
			if fi := r.FontInformation; fi != nil {
				x.size = fi.RenderedSize
				if x.size <= 0 {
					x.size = fi.Size
				}
				name := strings.ToLower(fi.Name)
				x.bold = fi.Weight >= 600 || fi.Flags&(1<<18) != 0 || strings.Contains(name, "bold") || strings.Contains(name, "black") || strings.Contains(name, "heavy")
			}
			if x.size <= 0 {
				x.size = x.top - x.bottom
			}
			rs = append(rs, x)
		}
		pages = append(pages, rs)
		pageLinks(inst, doc.Document, page, &links)
	}
	blocks := layout(pages)
	if !hasText(blocks) {
		return nil, newErr(KindNoText, "no text on %d pages", res.PagesRead)
	}
	res.Markdown, res.Text = render(blocks)
	res.Title = res.Metadata["title"]
	if res.Title == "" {
		res.Title = firstHeading(blocks)
	}
	res.Links = links.list
	return res, nil
}

// pageLinks adds the URIs of a page's link annotations.
func pageLinks(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, page requests.Page, links *linkSet) {
	pos := 0
	for range 10000 {
		l, err := inst.FPDFLink_Enumerate(&requests.FPDFLink_Enumerate{Page: page, StartPos: pos})
		if err != nil || l.Link == nil || l.NextStartPos == nil || *l.NextStartPos <= pos {
			return
		}
		pos = *l.NextStartPos
		a, err := inst.FPDFLink_GetAction(&requests.FPDFLink_GetAction{Link: *l.Link})
		if err != nil || a.Action == nil {
			continue
		}
		u, err := inst.FPDFAction_GetURIPath(&requests.FPDFAction_GetURIPath{Document: doc, Action: *a.Action})
		if err == nil && u.URIPath != nil {
			links.add(*u.URIPath)
		}
	}
}

// pdfDate turns a PDF date ("D:20240131120000+01'00'") into RFC 3339, or
// returns it as it is when it does not parse.
func pdfDate(s string) string {
	v := strings.TrimPrefix(s, "D:")
	v = strings.ReplaceAll(v, "'", "")
	for _, layout := range []string{"20060102150405-0700", "20060102150405Z", "20060102150405", "200601021504", "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	if len(v) > 14 && v[14] == 'Z' {
		if t, err := time.Parse("20060102150405", v[:14]); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	return s
}
