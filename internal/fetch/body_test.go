package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// brotliBomb is a 102-byte brotli stream that inflates to 64 MiB of
// zeros (produced once with brotli level 5; building it in the test costs
// seconds under -race).
const brotliBomb = "cbffff3f002400e2b14072effff8ffff078004401c1680eefd1fffffff00900088c302" +
	"d0bdffe3ffff1f001200715800baf77ffcffff034002200e0b40f7fe8fffff7f004800" +
	"c46101e8defff1ffff0f000980382c00ddfb3ffeffff012001108705a07bff37"

const bombSize = 64 << 20

var (
	bombOnce         sync.Once
	gzipBomb, brBomb []byte
)

// bombs returns a gzip and a brotli body that each inflate to bombSize
// bytes of zeros. The gzip one is a 1 MiB member repeated: gzip readers
// read concatenated members as one stream, so it costs one small
// compression to build.
func bombs(t testing.TB) ([]byte, []byte) {
	t.Helper()
	bombOnce.Do(func() {
		var member bytes.Buffer
		gw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
		gw.Write(make([]byte, 1<<20))
		gw.Close()
		gzipBomb = bytes.Repeat(member.Bytes(), bombSize>>20)
		brBomb, _ = hex.DecodeString(brotliBomb)
	})
	return gzipBomb, brBomb
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestBodyCaps(t *testing.T) {
	gz, br := bombs(t)
	const limit = 1 << 20
	mux := http.NewServeMux()
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz)
	})
	mux.HandleFunc("/br-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "br")
		w.Write(br)
	})
	mux.HandleFunc("/double-gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip, gzip")
		w.Write(gzipped(t, gz))
	})
	mux.HandleFunc("/sitemap-bomb.xml.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(gz)
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := bytes.Repeat([]byte("spidergo "), 4096)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(bytes.Repeat([]byte("a"), limit))
	})
	srv, allow := server(t, mux)
	f := testFetcher(t, Config{Allow: []string{allow}, MaxBodyBytes: limit})

	for _, path := range []string{"/gzip-bomb", "/br-bomb", "/double-gzip-bomb", "/sitemap-bomb.xml.gz", "/endless"} {
		t.Run(path, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + path, AcceptGzip: true})
			runtime.ReadMemStats(&after)
			wantKind(t, err, KindTooLarge)
			if resp != nil {
				t.Fatal("a response came with too_large")
			}
			// The bomb inflates to 64 MiB; reading stops at the 1 MiB cap.
			// Allow generous slack for buffers, decoders and the server
			// goroutines of this process.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 24<<20 {
				t.Fatalf("fetch allocated %d MiB for a %d MiB cap", grew>>20, limit>>20)
			}
		})
	}
	t.Run("exactly the cap is fine", func(t *testing.T) {
		resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/exact"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.PayloadSize != limit || len(resp.Body) != limit {
			t.Fatalf("payload %d body %d", resp.PayloadSize, len(resp.Body))
		}
	})
}

func TestDeadlines(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/drip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fl := w.(http.Flusher)
		for {
			if _, err := w.Write([]byte("<p>")); err != nil {
				return
			}
			fl.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	mux.HandleFunc("/no-headers", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("/huge-headers", func(w http.ResponseWriter, r *http.Request) {
		for i := range 200 {
			w.Header().Set("X-Filler-"+strings.Repeat("a", 10)+string(rune('a'+i%26))+string(rune('a'+i/26)), strings.Repeat("v", 1000))
		}
		w.Write([]byte("x"))
	})
	mux.HandleFunc("/slow-hop", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(120 * time.Millisecond):
		}
		http.Redirect(w, r, "/slow-hop?"+r.URL.RawQuery+"x", http.StatusFound)
	})
	srv, allow := server(t, mux)

	t.Run("the deadline covers all redirect hops together", func(t *testing.T) {
		// Each hop alone is well within the deadline; ten of them are not.
		f := testFetcher(t, Config{Allow: []string{allow}, Timeout: 400 * time.Millisecond})
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/slow-hop"})
		wantKind(t, err, KindTimeout)
	})
	t.Run("slow drip hits the deadline", func(t *testing.T) {
		f := testFetcher(t, Config{Allow: []string{allow}, Timeout: 300 * time.Millisecond})
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/drip"})
		wantKind(t, err, KindTimeout)
	})
	t.Run("request timeout can only shorten", func(t *testing.T) {
		f := testFetcher(t, Config{Allow: []string{allow}})
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/drip", Timeout: 200 * time.Millisecond})
		wantKind(t, err, KindTimeout)
	})
	t.Run("header timeout", func(t *testing.T) {
		f := testFetcher(t, Config{Allow: []string{allow}, HeaderTimeout: 150 * time.Millisecond})
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/no-headers"})
		wantKind(t, err, KindTimeout)
	})
	t.Run("huge headers are too_large", func(t *testing.T) {
		f := testFetcher(t, Config{Allow: []string{allow}, MaxHeaderBytes: 16 << 10})
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/huge-headers"})
		wantKind(t, err, KindTooLarge)
	})
}

func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

func TestCharsets(t *testing.T) {
	const ru = "Привет, мир"
	const jp = "こんにちは世界"
	const fr = "Café crème à la française"
	latin := func(s string) []byte { return encode(t, charmap.ISO8859_1, s) }
	cp1251 := func(s string) []byte { return encode(t, charmap.Windows1251, s) }
	sjis := func(s string) []byte { return encode(t, japanese.ShiftJIS, s) }
	utf16le := func(s string) []byte {
		return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), s)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	b := func(s string) []byte { return []byte(s) }

	cases := []struct {
		name        string
		contentType string
		body        []byte
		want        string // substring of the UTF-8 body
		charset     string
	}{
		{"latin1 in header", "text/html; charset=ISO-8859-1", cat(b("<p>"), latin(fr)), fr, "windows-1252"},
		{"windows-1251 in header beats a wrong meta", "text/html; charset=windows-1251",
			cat(b(`<meta charset="utf-8"><p>`), cp1251(ru)), ru, "windows-1251"},
		{"Shift_JIS in meta", "text/html",
			cat(b(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"></head><body>`), sjis(jp)), jp, "shift_jis"},
		{"windows-1251 in meta charset", "text/html", cat(b(`<meta charset="windows-1251"><p>`), cp1251(ru)), ru, "windows-1251"},
		{"UTF-8 BOM beats the header", "text/html; charset=ISO-8859-1", cat(b("\xef\xbb\xbf<p>"), b(ru)), ru, "utf-8"},
		{"UTF-16LE BOM beats the meta", "text/html", cat(utf16le(`<meta charset="shift_jis"><p>` + jp)), jp, "utf-16le"},
		{"undeclared UTF-8 after a long ASCII head", "text/html",
			cat(b("<html><head><title>x</title>"+strings.Repeat("<!-- padding -->", 100)+"</head><p>"), b(ru)), ru, "utf-8"},
		{"undeclared legacy bytes default to windows-1252", "text/html", cat(b("<p>"), latin(fr)), fr, "windows-1252"},
		{"plain text with charset", "text/plain; charset=windows-1251", cp1251(ru), ru, "windows-1251"},
		{"plain text undeclared UTF-8", "text/plain", b(jp), jp, "utf-8"},
		{"XML declaration", "application/xml", cat(b(`<?xml version="1.0" encoding="Shift_JIS"?><t>`), sjis(jp), b("</t>")), jp, "shift_jis"},
		{"XML header beats declaration", "text/xml; charset=windows-1251",
			cat(b(`<?xml version="1.0" encoding="utf-8"?><t>`), cp1251(ru), b("</t>")), ru, "windows-1251"},
		{"JSON is UTF-8", "application/json", b(`{"greeting":"` + jp + `"}`), jp, "utf-8"},
		{"JSON with broken bytes is made valid", "application/json", b("{\"a\":\"\xff\"}"), "\uFFFD", "utf-8"},
		{"sniffed HTML", "", cat(b("<!DOCTYPE html><html><meta charset=windows-1251><p>"), cp1251(ru)), ru, "windows-1251"},
	}
	mux := http.NewServeMux()
	for i, tc := range cases {
		path := "/" + string(rune('a'+i))
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if tc.contentType == "" {
				w.Header()["Content-Type"] = nil // no sniffing by the server
			} else {
				w.Header().Set("Content-Type", tc.contentType)
			}
			w.Write(tc.body)
		})
	}
	srv, allow := server(t, mux)
	f := testFetcher(t, Config{Allow: []string{allow}})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/" + string(rune('a'+i))})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(resp.Body), tc.want) {
				t.Fatalf("body %q does not contain %q", resp.Body, tc.want)
			}
			if resp.Charset != tc.charset {
				t.Fatalf("charset %q, want %q", resp.Charset, tc.charset)
			}
			if resp.PayloadSize != int64(len(tc.body)) {
				t.Fatalf("payload %d, want %d", resp.PayloadSize, len(tc.body))
			}
		})
	}
}

func TestContentTypes(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 4<<20)...)
	sitemap := []byte(`<?xml version="1.0" encoding="UTF-8"?><urlset><url><loc>https://example.com/</loc></url></urlset>`)
	mux := http.NewServeMux()
	serve := func(path, contentType, encodingHeader string, body []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if contentType == "" {
				w.Header()["Content-Type"] = nil
			} else {
				w.Header().Set("Content-Type", contentType)
			}
			if encodingHeader != "" {
				w.Header().Set("Content-Encoding", encodingHeader)
			}
			io.Copy(w, bytes.NewReader(body))
		})
	}
	serve("/image.png", "image/png", "", png)
	serve("/doc.pdf", "application/pdf", "", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 4<<20)...))
	serve("/blob", "application/octet-stream", "", png)
	serve("/sniffed.png", "", "", png)
	serve("/sniffed.html", "", "", []byte("<!doctype html><title>t</title>"))
	serve("/data.json", "application/json; charset=utf-8", "", []byte(`{"a":1}`))
	serve("/feed", "application/rss+xml", "", []byte(`<rss><channel/></rss>`))
	serve("/page", "text/html", "gzip", gzipped(t, []byte("<p>compressed</p>")))
	serve("/sitemap.xml.gz", "application/gzip", "", gzipped(t, sitemap))
	serve("/sitemap-octet.xml.gz", "application/octet-stream", "", gzipped(t, sitemap))
	serve("/sitemap-both.xml.gz", "application/x-gzip", "gzip", gzipped(t, gzipped(t, sitemap)))
	serve("/corrupt", "text/html", "gzip", []byte("\x1f\x8bnot really gzip"))
	serve("/zstd", "text/html", "zstd", []byte("whatever"))
	srv, allow := server(t, mux)
	f := testFetcher(t, Config{Allow: []string{allow}})

	cases := []struct {
		path, kind, contentType, body string
		acceptGzip                    bool
	}{
		{path: "/image.png", kind: KindUnsupportedContent, contentType: "image/png"},
		{path: "/doc.pdf", kind: KindUnsupportedContent, contentType: "application/pdf"},
		{path: "/blob", kind: KindUnsupportedContent, contentType: "application/octet-stream"},
		{path: "/blob", kind: KindUnsupportedContent, contentType: "application/octet-stream", acceptGzip: true},
		{path: "/sniffed.png", kind: KindUnsupportedContent, contentType: "image/png"},
		{path: "/sniffed.html", contentType: "text/html", body: "<!doctype html><title>t</title>"},
		{path: "/data.json", contentType: "application/json", body: `{"a":1}`},
		{path: "/feed", contentType: "application/rss+xml", body: `<rss><channel/></rss>`},
		{path: "/page", contentType: "text/html", body: "<p>compressed</p>"},
		{path: "/sitemap.xml.gz", kind: KindUnsupportedContent, contentType: "application/gzip"},
		{path: "/sitemap.xml.gz", contentType: "application/xml", body: string(sitemap), acceptGzip: true},
		{path: "/sitemap-octet.xml.gz", contentType: "application/xml", body: string(sitemap), acceptGzip: true},
		{path: "/sitemap-both.xml.gz", contentType: "application/xml", body: string(sitemap), acceptGzip: true},
		{path: "/corrupt", kind: KindUnsupportedContent, contentType: "text/html"},
		{path: "/zstd", kind: KindUnsupportedContent, contentType: "text/html"},
	}
	for _, tc := range cases {
		name := tc.path
		if tc.acceptGzip {
			name += " accepting gzip"
		}
		t.Run(name, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), Request{URL: srv.URL + tc.path, AcceptGzip: tc.acceptGzip})
			if tc.kind != "" {
				wantKind(t, err, tc.kind)
				var fe *Error
				if e, ok := err.(*Error); ok {
					fe = e
				}
				if fe == nil || fe.ContentType != tc.contentType {
					t.Fatalf("error %v does not carry content type %q", err, tc.contentType)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if resp == nil {
				t.Fatal("no response")
			}
			if resp.ContentType != tc.contentType || string(resp.Body) != tc.body {
				t.Fatalf("type %q body %q, want %q %q", resp.ContentType, resp.Body, tc.contentType, tc.body)
			}
			if tc.kind == KindUnsupportedContent && resp.PayloadSize > sniffLen {
				t.Fatalf("read %d bytes of unsupported content", resp.PayloadSize)
			}
		})
	}
}
