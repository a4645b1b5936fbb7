package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/outage"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[string]int{
	spidergo.EINVALID:      http.StatusBadRequest,
	spidergo.EUNAUTHORIZED: http.StatusUnauthorized,
	spidergo.EFORBIDDEN:    http.StatusForbidden,
	spidergo.ENOTFOUND:     http.StatusNotFound,
	spidergo.EMETHOD:       http.StatusMethodNotAllowed,
	spidergo.ECONFLICT:     http.StatusConflict,
	spidergo.ETIMEOUT:      http.StatusRequestTimeout,
	spidergo.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	spidergo.EHEADERS:      http.StatusRequestHeaderFieldsTooLarge,
	spidergo.EQUOTA:        http.StatusTooManyRequests,
	spidergo.ETHROTTLED:    http.StatusTooManyRequests,
	spidergo.EUNAVAILABLE:  http.StatusServiceUnavailable,
	spidergo.EINTERNAL:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err.
func StatusOf(err error) int {
	if st, ok := statusOf[spidergo.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// wrap adapts a handlerFunc to http.Handler: a returned error becomes the
// JSON error body, and its cause goes to the log with the request id.
func (s *Server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		s.writeError(w, r, err)
	})
}

// writeError writes err as {"message", "code", "request_id", …details}.
// Internal causes are logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	rid := requestID(r.Context())
	code := spidergo.ErrorCode(err)
	body := map[string]any{}
	var e *spidergo.Error
	if errors.As(err, &e) {
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
		}
		for k, v := range e.Details {
			body[k] = v
		}
		if e.Reason != "" {
			code = e.Reason
		}
	}
	body["message"] = spidergo.ErrorMessage(err)
	body["code"] = code
	body["request_id"] = rid
	if status >= 500 && errors.Is(err, outage.ErrDown) {
		// A dependency's outage is logged once by its watch, not again
		// for every request it fails.
		s.log.Debug("request refused during an outage", "request_id", rid, "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else if status >= 500 {
		s.log.Error("request failed", "request_id", rid, "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else if e == nil || e.Err != nil {
		s.log.Debug("request refused", "request_id", rid, "status", status, "err", err)
	}
	if rec, ok := w.(*recorder); ok && rec.wrote {
		// The handler already started its answer (a stream); all that is
		// left is to note the failure.
		return
	}
	writeJSON(w, status, body)
}

// handleNoRoute answers paths no route matches.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) error {
	return s.noRoute(w, r)
}

// catchAll are the patterns that only exist to answer unknown paths.
var catchAll = map[string]bool{"": true, "/": true, "/v1/": true, "/firecrawl/": true}

// noRoute answers 405 with Allow when the path exists for other methods,
// else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); !catchAll[pattern] {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return spidergo.Errorf(spidergo.EMETHOD, "Method %s is not allowed here.", r.Method)
	}
	return spidergo.Errorf(spidergo.ENOTFOUND, "No such route: %s %s.", r.Method, r.URL.Path)
}
