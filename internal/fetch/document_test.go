package fetch

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

func TestFetchDocuments(t *testing.T) {
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("p"), 3000)...)
	zipped := append([]byte("PK\x03\x04"), bytes.Repeat([]byte("z"), 3000)...)
	big := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("b"), 70<<10)...)
	mux := http.NewServeMux()
	serve := func(path, contentType, encoding string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if contentType == "" {
				w.Header()["Content-Type"] = nil
			} else {
				w.Header().Set("Content-Type", contentType)
			}
			if encoding != "" {
				w.Header().Set("Content-Encoding", encoding)
			}
			io.Copy(w, bytes.NewReader(body))
		})
	}
	serve("/paper.pdf", "application/pdf", "", pdf)
	serve("/gz.pdf", "application/pdf", "gzip", gzipped(t, pdf))
	serve("/x-pdf", "application/x-pdf", "", pdf)
	serve("/download", "application/octet-stream", "", pdf)
	serve("/report.docx", "application/octet-stream", "", zipped)
	serve("/notes.odt", "binary/octet-stream", "", zipped)
	serve("/archive.zip", "application/octet-stream", "", zipped)
	serve("/word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "", zipped)
	serve("/writer", "application/vnd.oasis.opendocument.text", "", zipped)
	serve("/untyped", "", "", pdf)
	serve("/big.pdf", "application/pdf", "", big)
	serve("/sitemap.gz", "application/octet-stream", "", gzipped(t, []byte(`<?xml version="1.0"?><urlset></urlset>`)))
	srv, allow := server(t, mux)
	f := testFetcher(t, Config{Allow: []string{allow}, MaxBodyBytes: 64 << 10, MaxDocumentBytes: 64 << 10})

	cases := []struct {
		path           string
		accept, gzip   bool
		kind, mt, body string
	}{
		{path: "/paper.pdf", accept: true, mt: "application/pdf", body: string(pdf)},
		{path: "/paper.pdf", kind: KindUnsupportedContent, mt: "application/pdf"},
		{path: "/gz.pdf", accept: true, mt: "application/pdf", body: string(pdf)},
		{path: "/x-pdf", accept: true, mt: "application/pdf", body: string(pdf)},
		{path: "/download", accept: true, mt: "application/pdf", body: string(pdf)},
		{path: "/download", kind: KindUnsupportedContent, mt: "application/octet-stream"},
		{path: "/report.docx", accept: true, mt: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body: string(zipped)},
		{path: "/notes.odt", accept: true, mt: "application/vnd.oasis.opendocument.text", body: string(zipped)},
		{path: "/archive.zip", accept: true, kind: KindUnsupportedContent, mt: "application/octet-stream"},
		{path: "/word", accept: true, mt: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body: string(zipped)},
		{path: "/writer", accept: true, mt: "application/vnd.oasis.opendocument.text", body: string(zipped)},
		{path: "/untyped", accept: true, mt: "application/pdf", body: string(pdf)},
		{path: "/big.pdf", accept: true, kind: KindTooLarge},
		{path: "/sitemap.gz", accept: true, gzip: true, mt: "application/xml", body: `<?xml version="1.0"?><urlset></urlset>`},
		{path: "/sitemap.gz", accept: true, kind: KindUnsupportedContent, mt: "application/octet-stream"},
	}
	for _, tc := range cases {
		name := tc.path
		if tc.accept {
			name += " accepting documents"
		}
		t.Run(name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path, AcceptDocuments: tc.accept, AcceptGzip: tc.gzip})
			if tc.kind != "" {
				wantKind(t, err, tc.kind)
				if tc.kind == KindTooLarge {
					return
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if resp == nil {
				t.Fatal("no response")
			}
			if resp.ContentType != tc.mt || string(resp.Body) != tc.body {
				t.Fatalf("type %q body of %d bytes, want %q and %d bytes", resp.ContentType, len(resp.Body), tc.mt, len(tc.body))
			}
			if tc.body != "" && tc.mt != "application/xml" && (resp.Charset != "" || resp.PayloadSize != int64(len(tc.body))) {
				t.Fatalf("charset %q, payload %d", resp.Charset, resp.PayloadSize)
			}
		})
	}
}
