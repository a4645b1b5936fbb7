package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Webhook events.
const (
	EventStarted   = "started"
	EventPage      = "page"
	EventCompleted = "completed"
	EventFailed    = "failed"
)

// Event is the body of one webhook request. Data is the job's head
// (*Envelope) for started, completed and failed, and the *Page for page.
type Event struct {
	Event     string `json:"event"`
	CRID      string `json:"crid"`
	Timestamp Time   `json:"timestamp"`
	Data      any    `json:"data,omitempty"`
}

// Webhook request headers.
const (
	HeaderSignature = "X-SpiderGo-Signature"
	HeaderEvent     = "X-SpiderGo-Event"
	HeaderDelivery  = "X-SpiderGo-Delivery"
)

// Sign returns the X-SpiderGo-Signature value of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrSignatureFormat = errors.New("webhook signature: malformed header")
	ErrSignatureStale  = errors.New("webhook signature: timestamp outside the tolerance")
	ErrSignatureBad    = errors.New("webhook signature: does not match")
)

// Verify checks a webhook's X-SpiderGo-Signature header against body with
// the receiver's secret, and refuses a timestamp further than tolerance
// from now, so that a captured request cannot be replayed later.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrSignatureFormat
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil {
				return ErrSignatureFormat
			}
			sigs = append(sigs, b)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureFormat
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureStale
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrSignatureBad
}

// Webhook delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one webhook event of a job and how sending it went:
// the answer of GET /v1/crawl/{crid}/webhooks lists them, and
// POST /v1/crawl/{crid}/webhooks/{id}/redeliver answers one. ID is the
// X-SpiderGo-Delivery header of every request that carried it.
// LastStatus is the HTTP status of the last answer (0 when none came) and
// LastError a short reason ("http_503", "timeout", "connection_refused"
// …). NextAttemptAt is set while the delivery is pending.
type WebhookDelivery struct {
	ID            string `json:"id"`
	Event         string `json:"event"`
	Attempts      int    `json:"attempts"`
	LastStatus    int    `json:"last_status"`
	LastError     string `json:"last_error"`
	State         string `json:"state"`
	NextAttemptAt *Time  `json:"next_attempt_at"`
	CreatedAt     Time   `json:"created_at"`
	DeliveredAt   *Time  `json:"delivered_at"`
}

// WebhookDeliveries is the answer of GET /v1/crawl/{crid}/webhooks: a
// job's deliveries in the order they are sent, and the cursor of the next
// page ("" at the end).
type WebhookDeliveries struct {
	Deliveries []*WebhookDelivery `json:"deliveries"`
	Next       string             `json:"next"`
}

// Redelivered is the answer of POST /v1/crawl/{crid}/webhooks/{id}/redeliver.
type Redelivered struct {
	Message  string           `json:"message"`
	Delivery *WebhookDelivery `json:"delivery"`
}
