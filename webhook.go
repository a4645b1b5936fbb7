package spidergo

import (
	"context"
	"time"
)

// Webhook delivery states.
const (
	// DeliveryPending is waiting for its first or next attempt.
	DeliveryPending = "pending"
	// DeliveryDelivered got a 2xx answer.
	DeliveryDelivered = "delivered"
	// DeliveryFailed will not be tried again: the receiver refused it for
	// good, or every attempt failed. A redeliver makes it pending again.
	DeliveryFailed = "failed"
)

// WebhookDelivery is one webhook event of a job, stored when it happens and
// kept, once sent or given up, as the job's delivery log.
type WebhookDelivery struct {
	ID     string
	JobID  string
	UserID string
	Event  string
	// Seq orders a job's events: they are sent one after another in this
	// order.
	Seq int64
	// Payload is the exact request body, the one that is signed.
	Payload []byte
	URL     string
	Headers map[string]string
	// Attempts counts the requests made; LastStatus is the HTTP status of
	// the last answer (0 when none came) and LastError a short reason
	// ("http_503", "timeout" …), never a secret.
	Attempts      int
	LastStatus    int
	LastError     string
	State         string
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeliveredAt   time.Time
}

// DeliveryStore keeps webhook deliveries. Only one process at a time sends
// a job's next delivery: it claims it under a lease, as the frontier does.
type DeliveryStore interface {
	// AddDelivery stores a new pending delivery after every other of its
	// job, due now, and fills its ID, Seq, State and times.
	AddDelivery(ctx context.Context, d *WebhookDelivery) error
	// Deliveries returns a job's deliveries in order, after the cursor (""
	// for the start).
	Deliveries(ctx context.Context, jobID, cursor string, limit int) (ds []*WebhookDelivery, next string, err error)
	// DeliveryByID returns one delivery of a job; another job's is
	// ENOTFOUND.
	DeliveryByID(ctx context.Context, jobID, id string) (*WebhookDelivery, error)
	// ClaimDelivery claims the job's first pending delivery for the lease
	// when it is due and nobody else holds it. Otherwise it returns nil
	// and when to look again: the next attempt's time, the end of another
	// owner's lease, or zero when nothing is pending.
	ClaimDelivery(ctx context.Context, jobID string, lease Lease, now time.Time) (*WebhookDelivery, time.Time, error)
	// FinishDelivery records an attempt of a delivery owner holds —
	// Attempts, LastStatus, LastError, State, NextAttemptAt, DeliveredAt —
	// and ends the claim. A claim lost meanwhile is ECONFLICT.
	FinishDelivery(ctx context.Context, d *WebhookDelivery, owner string, at time.Time) error
	// RedeliverDelivery makes one delivery of a job pending again, due at
	// `at`, with its attempts counted from zero.
	RedeliverDelivery(ctx context.Context, jobID, id string, at time.Time) (*WebhookDelivery, error)
	// DueDeliveryJobs lists up to limit jobs whose first pending delivery
	// is due at now and not claimed under a live lease.
	DueDeliveryJobs(ctx context.Context, now time.Time, limit int) ([]string, error)
}
