package crawl

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/document"
	"github.com/spidergo/spidergo/internal/extract"
	"github.com/spidergo/spidergo/internal/fetch"
)

// Extractor names of pages that are not documents; documents use
// document.PDF, document.DOCX and document.ODT.
const (
	ExtractorHTML = "html"
	ExtractorText = "text"
)

// documentFormats are the formats a document gives. A request asking for
// none of them (only html, raw_html or a screenshot) has no use for a
// document, which then stays unsupported_content.
var documentFormats = []string{extract.FormatMarkdown, extract.FormatText, extract.FormatMetadata, extract.FormatLinks}

// acceptsDocuments reports whether the job's pages may be documents.
func (e *Engine) acceptsDocuments(o *Options) bool {
	if e.docs == nil {
		return false
	}
	for _, f := range documentFormats {
		if wants(o, f) {
			return true
		}
	}
	return false
}

// documentKind is the document kind of a fetched media type, or "".
func documentKind(mediaType string) string {
	return document.Detect(mediaType, nil, "")
}

// documentPage fills p from a fetched document and returns its links to
// follow. Its html and raw_html formats stay empty: a document has no
// HTML to give. Reading it takes an extract slot like an HTML page.
func (e *Engine) documentPage(ctx context.Context, o *Options, p *spidergo.Page, resp *fetch.Response, kind string) []string {
	p.Extractor = kind
	if err := e.parse.Acquire(ctx, e.extractWait(o)); err != nil {
		if errors.Is(err, ErrServerBusy) {
			p.Error, p.ErrorDetail = KindServerBusy, "The server was too busy to extract this page in time."
		}
		return nil
	}
	var xstart time.Time
	if e.obs != nil {
		xstart = time.Now()
	}
	res, err := e.docs.Convert(ctx, kind, resp.Body)
	e.parse.Release()
	if e.obs != nil {
		e.obs.Extracted(time.Since(xstart))
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped: the page is dropped and fetched again on resume
		}
		if p.Error == "" {
			p.Error, p.ErrorDetail = document.KindOf(err), document.Detail(err)
			if p.Error == "" {
				p.Error = "extract_failed"
			}
		}
		return nil
	}
	p.Title = res.Title
	if wants(o, extract.FormatMarkdown) {
		p.Markdown = res.Markdown
	}
	if wants(o, extract.FormatText) {
		p.TextContent = res.Text
	}
	if wants(o, extract.FormatMetadata) {
		p.Metadata = res.Metadata
		if res.Truncated() {
			p.Metadata["pages_read"] = strconv.Itoa(res.PagesRead)
		}
	}
	if res.Truncated() {
		// Pages past the server's page limit were left out.
		for _, f := range []string{extract.FormatMarkdown, extract.FormatText} {
			if wants(o, f) && !slices.Contains(p.Truncated, f) {
				p.Truncated = append(p.Truncated, f)
			}
		}
	}
	base, _ := url.Parse(resp.FinalURL)
	links := extract.SplitLinks(base, res.Links, o.Extract.SubdomainsInternal)
	if wants(o, extract.FormatLinks) {
		p.Links = &spidergo.PageLinks{Internal: nonNil(links.Internal), External: nonNil(links.External)}
	}
	return append(append([]string{}, links.Internal...), links.External...)
}
