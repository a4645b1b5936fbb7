package crawl

import (
	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// EnvelopeOf is a job's envelope with an empty page list, ready for a page
// of results.
func EnvelopeOf(j *spidergo.Job) *api.Envelope {
	env := HeadOf(j)
	env.Pages = []*api.Page{}
	return env
}

// HeadOf is a job's envelope without pages: the data of job events and
// history entries.
func HeadOf(j *spidergo.Job) *api.Envelope {
	return &api.Envelope{
		CRID: j.ID, UserID: j.UserID, Kind: j.Kind, Status: j.Status, URL: j.URL,
		TotalPages: j.TotalPages, TotalResponseTimeMS: j.TotalResponseTimeMS, TotalPayloadSize: j.TotalPayloadSize,
		CreatedAt: api.TimePtr(j.CreatedAt), StartedAt: api.TimePtr(j.StartedAt), FinishedAt: api.TimePtr(j.FinishedAt),
		Skipped: j.Skipped, Error: j.Error,
		Discovered: j.Discovered, Queued: j.Queued, InFlight: j.InFlight, Failed: j.Failed, Limit: j.Limit,
	}
}

// FillRequest adds to env what validating the request found: the batch
// URLs left out under ignore_invalid_urls, with their reasons.
func FillRequest(env *api.Envelope, o *Options) {
	env.InvalidURLs = o.InvalidURLs
}

// WirePage is a page as the API writes it.
func WirePage(p *spidergo.Page) *api.Page {
	w := &api.Page{
		URL: p.URL, FinalURL: p.FinalURL, ParentURL: p.ParentURL, Depth: p.Depth, StatusCode: p.StatusCode,
		ContentType: p.ContentType, ResponseTimeMS: p.ResponseTimeMS, PayloadSize: p.PayloadSize,
		FetchedAt: api.At(p.FetchedAt), Title: p.Title, MetaDescription: p.MetaDescription, Language: p.Language,
		Markdown: p.Markdown, TextContent: p.TextContent, HTML: p.HTML, RawHTML: p.RawHTML, Images: p.Images,
		Metadata: p.Metadata, StructuredData: p.StructuredData, Cached: p.Cached, Error: p.Error, ErrorDetail: p.ErrorDetail,
		Screenshot: p.Screenshot, Screenshots: p.Screenshots, Rendered: p.Rendered, Robots: p.Robots,
		Truncated: p.Truncated, Extractor: p.Extractor,
	}
	if p.Links != nil {
		w.Links = &api.Links{Internal: p.Links.Internal, External: p.Links.External}
	}
	for _, pr := range p.Products {
		w.Products = append(w.Products, api.Product(pr))
	}
	return w
}

// WirePages converts pages for an answer; never nil.
func WirePages(pages []*spidergo.Page) []*api.Page {
	out := make([]*api.Page, len(pages))
	for i, p := range pages {
		out[i] = WirePage(p)
	}
	return out
}
