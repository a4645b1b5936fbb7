package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Error kinds. They are part of the API contract (a crawl reports them in a
// page's Error field), so they never change spelling.
const (
	// KindBlockedAddress: the destination address, port or host is refused
	// by the address guard (private, loopback, metadata, port not allowed…).
	KindBlockedAddress = "blocked_address"
	// KindDNSError: the host name could not be resolved.
	KindDNSError = "dns_error"
	// KindConnectError: the connection could not be made or broke before a
	// complete answer arrived.
	KindConnectError = "connect_error"
	// KindTLSError: the TLS handshake failed (bad certificate, protocol).
	KindTLSError = "tls_error"
	// KindTimeout: a connect, TLS, header or whole-exchange deadline passed.
	KindTimeout = "timeout"
	// KindTooLarge: the body (after decompression) or the response headers
	// exceeded their cap.
	KindTooLarge = "too_large"
	// KindTooManyRedirects: more redirects than Config.MaxRedirects.
	KindTooManyRedirects = "too_many_redirects"
	// KindRobotsDisallowed: robots.txt forbids the URL for our user agent.
	KindRobotsDisallowed = "robots_disallowed"
	// KindUnsupportedContent: the answer is not text (image, PDF, archive…);
	// the Response carries its content type.
	KindUnsupportedContent = "unsupported_content"
	// KindInvalidURL: the URL cannot be fetched as written (syntax, scheme,
	// userinfo).
	KindInvalidURL = "invalid_url"
	// KindHTTP4xx and KindHTTP5xx: the server answered with that status
	// class; the Response is returned as well.
	KindHTTP4xx = "http_4xx"
	KindHTTP5xx = "http_5xx"
	// KindInvalidRequest: the caller's request options are unusable (a Host
	// or hop-by-hop header, an unsupported method). It is an input error of
	// the caller, never a property of the target.
	KindInvalidRequest = "invalid_request"
	// KindCanceled: the caller's context was canceled. It is not a property
	// of the target either; the crawler uses it to tell "stopped" from
	// "failed".
	KindCanceled = "canceled"
)

// Error is the one error type Fetch, Check and Robots return for anything
// concerning the target. Inspect it with errors.As or [KindOf].
type Error struct {
	// Kind is one of the Kind constants.
	Kind string
	// URL is the URL being fetched when the error happened; after redirects
	// it is the hop that failed, not the seed.
	URL string
	// StatusCode is set for KindHTTP4xx and KindHTTP5xx.
	StatusCode int
	// ContentType is set for KindUnsupportedContent.
	ContentType string
	// Err is the underlying cause, if any; it is for logs, not for users.
	Err error

	// What a refusal was about, for [Detail]: the refused address and why,
	// or the refused port and the ports that are allowed.
	addr         string
	why          string
	refusedPort  uint16
	allowedPorts []int
	// detail, when set, is the sentence Detail returns as it is.
	detail string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("fetch")
	if e.URL != "" {
		b.WriteString(" ")
		b.WriteString(e.URL)
	}
	b.WriteString(": ")
	b.WriteString(e.Kind)
	if e.ContentType != "" {
		b.WriteString(" (")
		b.WriteString(e.ContentType)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, "" when err is
// nil or carries no *Error (for example a failure of the shared limiter's
// back end, which says nothing about the target).
func KindOf(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return ""
}

func newError(kind, rawURL string, cause error) *Error {
	return &Error{Kind: kind, URL: rawURL, Err: cause}
}

// classify turns whatever net/http, the dialer or a body reader returned
// into an *Error. parent is the caller's context: its cancellation is
// reported as KindCanceled so that a stopped crawl is not mistaken for a
// slow site, while our own deadlines become KindTimeout.
func classify(parent context.Context, rawURL string, err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		// Already classified (guard refusal inside the dialer, DNS failure,
		// body cap). Copy so the caller's URL is right after redirects.
		c := *fe
		if c.URL == "" {
			c.URL = rawURL
		}
		if err != error(fe) {
			// Keep the whole chain (the dialer's *net.OpError tells a log
			// reader where the refusal happened) but print only the cause.
			c.Err = &chain{cause: fe.Err, full: err}
		}
		return &c
	}
	if parent.Err() != nil && errors.Is(parent.Err(), context.Canceled) {
		return newError(KindCanceled, rawURL, parent.Err())
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server response headers exceeded"),
		strings.Contains(msg, "response header list larger than advertised limit"):
		// net/http has no sentinel for the header cap; these are its
		// messages for HTTP/1 and HTTP/2.
		return newError(KindTooLarge, rawURL, err)
	case isTLSError(err):
		return newError(KindTLSError, rawURL, err)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return newError(KindTimeout, rawURL, err)
	case errors.Is(err, context.Canceled):
		return newError(KindCanceled, rawURL, err)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return newError(KindConnectError, rawURL, err)
	}
	// Anything else (a malformed answer, a reset mid-body, an unreachable
	// network) means the exchange with the server failed.
	return newError(KindConnectError, rawURL, err)
}

// chain prints as its cause but unwraps to the full error it came from.
type chain struct {
	cause error
	full  error
}

func (c *chain) Error() string {
	if c.cause == nil {
		return c.full.Error()
	}
	return c.cause.Error()
}

func (c *chain) Unwrap() error { return c.full }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isTLSError(err error) bool {
	var (
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		verErr   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	if errors.As(err, &recErr) || errors.As(err, &alertErr) || errors.As(err, &verErr) ||
		errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) {
		return true
	}
	// The TLS handshake timeout of net/http is a timeout, not a TLS failure;
	// other handshake failures only carry a "tls: " message.
	msg := err.Error()
	return strings.Contains(msg, "tls: ") && !isTimeout(err)
}
