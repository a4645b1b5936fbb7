package spidergo

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to exactly one HTTP status in the server's table.
const (
	EINVALID      = "invalid"            // bad input: 400
	EUNAUTHORIZED = "unauthorized"       // missing or wrong credentials: 401
	EFORBIDDEN    = "forbidden"          // known caller, not allowed: 403
	ENOTFOUND     = "not_found"          // 404
	ECONFLICT     = "conflict"           // 409
	ETIMEOUT      = "request_timeout"    // request body too slow: 408
	ETOOLARGE     = "too_large"          // request body too large: 413
	EHEADERS      = "headers_too_large"  // request headers too large: 431
	EQUOTA        = "quota_exceeded"     // daily quota spent: 429
	ETHROTTLED    = "throttled"          // too many attempts: 429
	EMETHOD       = "method_not_allowed" // 405
	EUNAVAILABLE  = "unavailable"        // dependency down: 503
	EINTERNAL     = "internal"           // our fault: 500
)

// Error is a domain error: a machine code, a message safe to show the
// client, and an optional cause that is logged but never shown.
type Error struct {
	Code    string
	Message string
	// Reason refines Code for clients (for example "blocked_address").
	Reason string
	// Details are extra top-level fields of the error body, such as
	// {"requires_verification": true}.
	Details map[string]any
	// RetryAfter, when set, is how long the client should wait before
	// trying again (the Retry-After header).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted client message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err. Errors that are not
// *Error are internal and their text is never shown.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrNotFound is returned by stores when a row does not exist.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "Not found."}

// Conflicts a store reports. Their messages are terse on purpose: the
// services that call the store say what happened in the words of the
// product, and match these with errors.Is.
var (
	// ErrEmailTaken: another account has the email address.
	ErrEmailTaken = &Error{Code: ECONFLICT, Message: "Email address taken."}
	// ErrIdentityLinked: the provider's account is linked already.
	ErrIdentityLinked = &Error{Code: ECONFLICT, Message: "Identity already linked."}
	// ErrKeyLimit: the user has the most active API keys allowed.
	ErrKeyLimit = &Error{Code: ECONFLICT, Message: "Active API key limit reached."}
	// ErrJobFinished: the job has completed, failed or been cancelled and
	// can no longer change.
	ErrJobFinished = &Error{Code: ECONFLICT, Message: "Job already finished."}
)
