package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/spidergo/spidergo"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// decodeJSON reads one JSON object from the body into dst. It refuses
// bodies over 1 MiB (413), malformed JSON, unknown fields and trailing data
// (400), each with a message naming the problem.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return spidergo.Errorf(spidergo.EINVALID, "Content-Type must be application/json.")
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return jsonError(err)
		}
		return spidergo.Errorf(spidergo.EINVALID, "Request body must hold a single JSON object.")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		tooBig *http.MaxBytesError
	)
	switch {
	case isBodyTimeout(err):
		return &spidergo.Error{Code: spidergo.ETIMEOUT, Message: "The request body did not arrive in time.", Err: err}
	case errors.As(err, &tooBig):
		return spidergo.Errorf(spidergo.ETOOLARGE, "Request body is larger than %d bytes.", maxBody)
	case errors.Is(err, io.EOF):
		return spidergo.Errorf(spidergo.EINVALID, "Request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return spidergo.Errorf(spidergo.EINVALID, "Request body is not valid JSON: it ends too early.")
	case errors.As(err, &syntax):
		return spidergo.Errorf(spidergo.EINVALID, "Request body is not valid JSON at byte %d: %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return spidergo.Errorf(spidergo.EINVALID, "Request body must be a JSON object.")
		}
		kind := typ.Type.Kind().String()
		if strings.HasPrefix(typ.Value, "number") && (strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint")) {
			// A number was sent, just not a whole one (1500.5), or one
			// out of range.
			return spidergo.Errorf(spidergo.EINVALID, "Field %q must be a whole number.", typ.Field)
		}
		return spidergo.Errorf(spidergo.EINVALID, "Field %q must be %s.", typ.Field, kindName(kind))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return spidergo.Errorf(spidergo.EINVALID, "Unknown field %s.", name)
	}
	return &spidergo.Error{Code: spidergo.EINVALID, Message: "Request body could not be read.", Err: err}
}

func kindName(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float") {
		return "a number"
	}
	return fmt.Sprintf("of type %s", k)
}
