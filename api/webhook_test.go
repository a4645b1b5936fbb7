package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	at := time.Unix(1_774_000_000, 0)
	body := []byte(`{"event":"completed","crid":"abc"}`)
	good := Sign("s3cret", at, body)
	if !strings.HasPrefix(good, "t=1774000000,v1=") {
		t.Fatalf("Sign = %q", good)
	}
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", "s3cret", good, body, at.Add(time.Minute), nil},
		{"valid among rotated signatures", "s3cret", "t=1774000000,v1=00ff," + strings.SplitN(good, ",", 2)[1], body, at, nil},
		{"wrong secret", "other", good, body, at, ErrSignatureBad},
		{"changed body", "s3cret", good, []byte(`{"event":"failed","crid":"abc"}`), at, ErrSignatureBad},
		{"replayed later", "s3cret", good, body, at.Add(10 * time.Minute), ErrSignatureStale},
		{"from the future", "s3cret", good, body, at.Add(-10 * time.Minute), ErrSignatureStale},
		{"no timestamp", "s3cret", "v1=abcd", body, at, ErrSignatureFormat},
		{"no signature", "s3cret", "t=1774000000", body, at, ErrSignatureFormat},
		{"not hex", "s3cret", "t=1774000000,v1=zz", body, at, ErrSignatureFormat},
		{"garbage", "s3cret", "hello", body, at, ErrSignatureFormat},
		{"empty", "s3cret", "", body, at, ErrSignatureFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTimeJSON(t *testing.T) {
	tests := []struct {
		name string
		in   Time
		want string
	}{
		{"milliseconds in UTC", At(time.Date(2026, 3, 23, 9, 15, 2, 120_456_000, time.FixedZone("CET", 3600))), `"2026-03-23T08:15:02.120Z"`},
		{"whole second", At(time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC)), `"2026-03-23T00:00:00.000Z"`},
		{"zero", Time{}, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.in.MarshalJSON()
			if err != nil || string(b) != tt.want {
				t.Fatalf("MarshalJSON = %s, %v; want %s", b, err, tt.want)
			}
			var back Time
			if err := back.UnmarshalJSON(b); err != nil {
				t.Fatal(err)
			}
			if !back.Equal(tt.in.Truncate(time.Millisecond)) {
				t.Errorf("round trip = %v, want %v", back, tt.in)
			}
		})
	}
	if TimePtr(time.Time{}) != nil {
		t.Error("TimePtr(zero) is not nil")
	}
}
