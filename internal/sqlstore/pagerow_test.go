package sqlstore

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
)

func TestPageRowRoundTrip(t *testing.T) {
	p := &spidergo.Page{
		URL: "https://example.com/a", FinalURL: "https://example.com/a/", Depth: 2, StatusCode: 200,
		FetchedAt: time.Date(2026, 3, 23, 8, 0, 0, 0, time.UTC), Title: "A", Markdown: "# A",
		Links:    &spidergo.PageLinks{Internal: []string{"https://example.com/b"}, External: []string{}},
		Products: []spidergo.Product{{Name: "Kettle", Price: "20.00", Currency: "EUR"}},
		Metadata: map[string]string{"og:title": "A"}, StructuredData: []any{map[string]any{"@type": "Thing"}},
		Error: "http_4xx", ErrorDetail: "The server at example.com answered 404 Not Found.",
		Formats:    []string{"markdown", "links", "screenshot"},
		Screenshot: "data:image/png;base64,iVBORw0KGgo=", Screenshots: []string{"data:image/png;base64,AAAA"},
		Rendered: "browser", Robots: []string{"noindex", "nofollow"},
	}
	b, err := encodePage(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodePage(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

func TestDecodePageFormats(t *testing.T) {
	tests := []struct {
		name    string
		row     string
		want    *spidergo.Page
		wantErr bool
	}{
		{
			// A row written before pages carried a format number.
			name: "format 1",
			row:  `{"URL":"https://example.com/","Depth":0,"StatusCode":200,"ResponseTimeMS":12,"PayloadSize":340,"FetchedAt":"2026-03-23T08:00:00Z","Title":"Home","Products":[{"name":"Kettle","price":"20.00"}],"Cached":false,"Error":""}`,
			want: &spidergo.Page{URL: "https://example.com/", StatusCode: 200, ResponseTimeMS: 12, PayloadSize: 340,
				FetchedAt: time.Date(2026, 3, 23, 8, 0, 0, 0, time.UTC), Title: "Home", Products: []spidergo.Product{{Name: "Kettle", Price: "20.00"}}},
		},
		{
			// A format 2 row written before pages carried ErrorDetail and
			// their formats: both read as empty.
			name: "format 2 without detail or formats",
			row:  `{"v":2,"URL":"https://example.com/x","Depth":1,"StatusCode":404,"ResponseTimeMS":3,"PayloadSize":9,"FetchedAt":"2026-03-23T08:00:00Z","Error":"http_4xx"}`,
			want: &spidergo.Page{URL: "https://example.com/x", Depth: 1, StatusCode: 404, ResponseTimeMS: 3, PayloadSize: 9,
				FetchedAt: time.Date(2026, 3, 23, 8, 0, 0, 0, time.UTC), Error: "http_4xx"},
		},
		{name: "newer format", row: `{"v":99,"URL":"https://example.com/"}`, wantErr: true},
		{name: "not JSON", row: `{`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePage([]byte(tt.row))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
