package sqlstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spidergo/spidergo"
)

// pageFormat is the version of the JSON a page is stored as. Rows written
// before the field existed (format 1) used the same keys, so both decode
// with pageRow; a later change of shape bumps the number and decodePage
// converts older rows, so stored pages outlive changes to the API.
const pageFormat = 2

// pageRow is the stored form of a page: its own type, so that renaming a
// field of spidergo.Page or of the API's page never breaks stored data.
type pageRow struct {
	V               int               `json:"v,omitempty"`
	URL             string            `json:"URL"`
	FinalURL        string            `json:"FinalURL,omitempty"`
	ParentURL       string            `json:"ParentURL,omitempty"`
	Depth           int               `json:"Depth"`
	StatusCode      int               `json:"StatusCode"`
	ContentType     string            `json:"ContentType,omitempty"`
	ResponseTimeMS  int64             `json:"ResponseTimeMS"`
	PayloadSize     int64             `json:"PayloadSize"`
	FetchedAt       time.Time         `json:"FetchedAt"`
	Title           string            `json:"Title,omitempty"`
	MetaDescription string            `json:"MetaDescription,omitempty"`
	Language        string            `json:"Language,omitempty"`
	Markdown        string            `json:"Markdown,omitempty"`
	TextContent     string            `json:"TextContent,omitempty"`
	HTML            string            `json:"HTML,omitempty"`
	RawHTML         string            `json:"RawHTML,omitempty"`
	Links           *linksRow         `json:"Links,omitempty"`
	Images          []string          `json:"Images,omitempty"`
	Metadata        map[string]string `json:"Metadata,omitempty"`
	Products        []productRow      `json:"Products,omitempty"`
	StructuredData  []any             `json:"StructuredData,omitempty"`
	Cached          bool              `json:"Cached,omitempty"`
	Error           string            `json:"Error,omitempty"`
	// Rows written before ErrorDetail and Formats existed lack them and
	// read as empty: no detail, and formats unknown, so such a page is
	// never served from the cache.
	ErrorDetail string   `json:"ErrorDetail,omitempty"`
	Formats     []string `json:"Formats,omitempty"`
	// Rows written before rendering and robots reporting lack these.
	Screenshot  string   `json:"Screenshot,omitempty"`
	Screenshots []string `json:"Screenshots,omitempty"`
	Rendered    string   `json:"Rendered,omitempty"`
	// Rows from before documents were read lack Extractor.
	Extractor string   `json:"Extractor,omitempty"`
	Robots    []string `json:"Robots,omitempty"`
	// Truncated lists what the page caps cut; rows from before it read
	// as nothing cut.
	Truncated []string `json:"Truncated,omitempty"`
}

type linksRow struct {
	Internal []string `json:"Internal"`
	External []string `json:"External"`
}

type productRow struct {
	Name         string `json:"name"`
	Price        string `json:"price,omitempty"`
	Currency     string `json:"currency,omitempty"`
	ImageURL     string `json:"image_url,omitempty"`
	Description  string `json:"description,omitempty"`
	URL          string `json:"url,omitempty"`
	Availability string `json:"availability,omitempty"`
	SKU          string `json:"sku,omitempty"`
	Brand        string `json:"brand,omitempty"`
}

func encodePage(p *spidergo.Page) ([]byte, error) {
	r := pageRow{
		V: pageFormat, URL: p.URL, FinalURL: p.FinalURL, ParentURL: p.ParentURL, Depth: p.Depth,
		StatusCode: p.StatusCode, ContentType: p.ContentType, ResponseTimeMS: p.ResponseTimeMS,
		PayloadSize: p.PayloadSize, FetchedAt: p.FetchedAt, Title: p.Title, MetaDescription: p.MetaDescription,
		Language: p.Language, Markdown: p.Markdown, TextContent: p.TextContent, HTML: p.HTML, RawHTML: p.RawHTML,
		Images: p.Images, Metadata: p.Metadata, StructuredData: p.StructuredData, Cached: p.Cached, Error: p.Error,
		ErrorDetail: p.ErrorDetail, Formats: p.Formats,
		Screenshot: p.Screenshot, Screenshots: p.Screenshots, Rendered: p.Rendered, Robots: p.Robots, Truncated: p.Truncated,
		Extractor: p.Extractor,
	}
	if p.Links != nil {
		r.Links = &linksRow{Internal: p.Links.Internal, External: p.Links.External}
	}
	for _, pr := range p.Products {
		r.Products = append(r.Products, productRow(pr))
	}
	// Not escaping <, > and & as \u003c … keeps HTML formats at their own
	// size in the row rather than up to six times it; the row is never
	// embedded in HTML.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&r); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func decodePage(data []byte) (*spidergo.Page, error) {
	var r pageRow
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	if r.V > pageFormat {
		return nil, fmt.Errorf("page stored in format %d, newer than this binary's %d", r.V, pageFormat)
	}
	p := &spidergo.Page{
		URL: r.URL, FinalURL: r.FinalURL, ParentURL: r.ParentURL, Depth: r.Depth,
		StatusCode: r.StatusCode, ContentType: r.ContentType, ResponseTimeMS: r.ResponseTimeMS,
		PayloadSize: r.PayloadSize, FetchedAt: r.FetchedAt, Title: r.Title, MetaDescription: r.MetaDescription,
		Language: r.Language, Markdown: r.Markdown, TextContent: r.TextContent, HTML: r.HTML, RawHTML: r.RawHTML,
		Images: r.Images, Metadata: r.Metadata, StructuredData: r.StructuredData, Cached: r.Cached, Error: r.Error,
		ErrorDetail: r.ErrorDetail, Formats: r.Formats,
		Screenshot: r.Screenshot, Screenshots: r.Screenshots, Rendered: r.Rendered, Robots: r.Robots, Truncated: r.Truncated,
		Extractor: r.Extractor,
	}
	if r.Links != nil {
		p.Links = &spidergo.PageLinks{Internal: r.Links.Internal, External: r.Links.External}
	}
	for _, pr := range r.Products {
		p.Products = append(p.Products, spidergo.Product(pr))
	}
	return p, nil
}
