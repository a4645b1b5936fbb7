package fetch

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

func TestPost(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(r.Method + " " + r.Header.Get("X-Test") + " " + string(b))
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	f, err := New(Config{Allow: []string{u.Host}})
	if err != nil {
		t.Fatal(err)
	}
	status, err := f.Post(context.Background(), srv.URL+"/hook", http.Header{"X-Test": {"yes"}}, []byte(`{"a":1}`), time.Second)
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("Post = %d, %v", status, err)
	}
	if got.Load() != `POST yes {"a":1}` {
		t.Errorf("server saw %q", got.Load())
	}
	if status, err := f.Post(context.Background(), srv.URL+"/moved", nil, nil, time.Second); err != nil || status != http.StatusFound {
		t.Errorf("redirect: Post = %d, %v; want the 302 itself", status, err)
	}
	for _, target := range []string{"http://10.0.0.1/hook", "http://169.254.169.254/", "http://127.0.0.1:1/"} {
		if _, err := f.Post(context.Background(), target, nil, nil, time.Second); KindOf(err) != KindBlockedAddress {
			t.Errorf("Post(%s) = %v, want blocked_address", target, err)
		}
	}
	if _, err := f.Post(context.Background(), srv.URL, http.Header{"Host": {"x"}}, nil, time.Second); KindOf(err) != KindInvalidRequest {
		t.Errorf("Host header: %v, want invalid_request", err)
	}
}
