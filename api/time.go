package api

import (
	"bytes"
	"time"
)

// TimeFormat is the one way the API writes times: RFC 3339 in UTC with
// milliseconds, e.g. 2026-03-23T08:15:02.120Z.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Time is a time.Time that is written in TimeFormat and read from any
// RFC 3339 form. The zero Time is written as null.
type Time struct{ time.Time }

// At wraps t; a zero t stays zero.
func At(t time.Time) Time { return Time{t} }

// TimePtr is At(t) as a pointer, nil for a zero t, for fields that are
// left out or null until something happens.
func TimePtr(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{t}
}

// String formats t in TimeFormat.
func (t Time) String() string { return t.UTC().Format(TimeFormat) }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.String() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	return t.Time.UnmarshalJSON(b)
}
