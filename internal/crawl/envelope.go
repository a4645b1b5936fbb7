package crawl

import (
	"time"

	"github.com/spidergo/spidergo"
)

// Envelope is the head of every scrape and crawl answer, PascalCase as in
// the integration guide: {"message": Envelope}.
type Envelope struct {
	CRID                string         `json:"CRID"`
	UserID              string         `json:"UserID"`
	Kind                string         `json:"Kind,omitempty"`
	Status              string         `json:"Status"`
	URL                 string         `json:"URL"`
	TotalPages          int            `json:"TotalPages"`
	TotalResponseTimeMS int64          `json:"TotalResponseTimeMS"`
	TotalPayloadSize    int64          `json:"TotalPayloadSize"`
	CreatedAt           *time.Time     `json:"CreatedAt,omitempty"`
	StartedAt           *time.Time     `json:"StartedAt,omitempty"`
	FinishedAt          *time.Time     `json:"FinishedAt,omitempty"`
	Skipped             map[string]int `json:"Skipped,omitempty"`
	Error               string         `json:"Error,omitempty"`
	Next                string         `json:"Next"`
	// Pages is always present in answers that carry results ([] when
	// empty) and left out of job heads (history, events), where it is nil.
	Pages []*spidergo.Page `json:"Pages,omitzero"`
	// URLs is the answer of /v1/map.
	URLs []string `json:"URLs,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// EnvelopeOf is a job's envelope without pages.
func EnvelopeOf(j *spidergo.Job) *Envelope {
	return &Envelope{
		CRID: j.ID, UserID: j.UserID, Kind: j.Kind, Status: j.Status, URL: j.URL,
		TotalPages: j.TotalPages, TotalResponseTimeMS: j.TotalResponseTimeMS, TotalPayloadSize: j.TotalPayloadSize,
		CreatedAt: timePtr(j.CreatedAt), StartedAt: timePtr(j.StartedAt), FinishedAt: timePtr(j.FinishedAt),
		Skipped: j.Skipped, Error: j.Error, Pages: []*spidergo.Page{},
	}
}
