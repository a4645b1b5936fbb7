package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"time"
)

// maxPostAnswer is how much of an answer to a POST is read: the caller only
// needs the status, and the rest is drained so the connection can be reused.
const maxPostAnswer = 64 << 10

// Post sends body to rawURL through the same address guard, port rules and
// caps as Fetch. It is what webhooks are delivered with: no redirects are
// followed (a 3xx is returned as the status), nothing is retried (the
// caller owns retries, as POST is not idempotent), and only the status of
// the answer is returned.
func (f *Fetcher) Post(ctx context.Context, rawURL string, header http.Header, body []byte, timeout time.Duration) (int, error) {
	u, err := f.Check(rawURL)
	if err != nil {
		return 0, err
	}
	if timeout <= 0 || timeout > f.cfg.Timeout {
		timeout = f.cfg.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, &Error{Kind: KindInvalidURL, URL: u.String(), Err: err}
	}
	for k, v := range header {
		canon := textproto.CanonicalMIMEHeaderKey(k)
		if _, refused := refusedHeaders[canon]; refused && canon != "Content-Length" {
			return 0, &Error{Kind: KindInvalidRequest, URL: u.String(), Err: fmt.Errorf("header %q may not be set", canon)}
		}
		req.Header[canon] = v
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	hr, err := f.client.Do(req)
	if err != nil {
		return 0, classify(ctx, u.String(), err)
	}
	io.Copy(io.Discard, io.LimitReader(hr.Body, maxPostAnswer))
	hr.Body.Close()
	return hr.StatusCode, nil
}
