package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spidergo/spidergo/api"
)

// Error is an answer of the server other than 2xx.
type Error struct {
	Status    int    // HTTP status
	Code      string // api error code: "invalid", "unauthorized", "quota_exceeded", …
	Message   string // for people
	RequestID string // quote it when reporting a problem
	// RetryAfter is the wait the server asked for (429, 503), 0 if none.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("spidergo: %d %s: %s", e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// Sentinels for errors.Is: errors.Is(err, client.ErrQuotaExceeded).
var (
	ErrInvalid          = errors.New("spidergo: invalid request")
	ErrUnauthorized     = errors.New("spidergo: unauthorized")
	ErrForbidden        = errors.New("spidergo: forbidden")
	ErrNotFound         = errors.New("spidergo: not found")
	ErrQuotaExceeded    = errors.New("spidergo: quota exceeded")
	ErrThrottled        = errors.New("spidergo: throttled")
	ErrConflict         = errors.New("spidergo: conflict")
	ErrServer           = errors.New("spidergo: server error")
	ErrBlockedAddress   = errors.New("spidergo: address refused by the server's guard")
	ErrStreamIncomplete = errors.New("spidergo: stream ended before the job's summary")
)

// Is matches e against the sentinels above by code and status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return e.Status == http.StatusBadRequest
	case ErrBlockedAddress:
		return e.Code == "blocked_address"
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrQuotaExceeded:
		return e.Code == "quota_exceeded"
	case ErrThrottled:
		return e.Code == "throttled"
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrServer:
		return e.Status >= 500
	}
	return false
}

// IsQuota reports whether err is a spent daily quota (429 quota_exceeded).
func IsQuota(err error) bool { return errors.Is(err, ErrQuotaExceeded) }

// IsUnauthorized reports whether err is a missing or wrong API key (401).
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsForbidden reports whether err is a known but refused key, such as a
// revoked one (403).
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// IsNotFound reports whether err is a missing job or route (404).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsInvalid reports whether the server refused the input (400).
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalid) }

// IsRetryable reports whether trying again later may succeed: 429 and 5xx
// answers.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusTooManyRequests || e.Status >= 500)
}

// errorOf reads a non-2xx answer into *Error and closes its body.
func errorOf(resp *http.Response) *Error {
	defer resp.Body.Close()
	e := &Error{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-ID"), RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body api.Error
	if json.Unmarshal(b, &body) == nil && body.Message != "" {
		e.Code, e.Message = body.Code, body.Message
		if body.RequestID != "" {
			e.RequestID = body.RequestID
		}
	} else {
		e.Message = strings.TrimSpace(string(b))
		if e.Message == "" || len(e.Message) > 200 {
			e.Message = http.StatusText(resp.StatusCode)
		}
	}
	if e.Code == "" {
		e.Code = codeOf(resp.StatusCode)
	}
	return e
}

func codeOf(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return "invalid"
	case status == http.StatusUnauthorized:
		return "unauthorized"
	case status == http.StatusForbidden:
		return "forbidden"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusTooManyRequests:
		return "throttled"
	case status == http.StatusServiceUnavailable:
		return "unavailable"
	case status >= 500:
		return "internal"
	}
	return "http_" + strconv.Itoa(status)
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
