// Package api holds SpiderGo's public wire types: the bodies clients send and
// the answers they get back, the webhook event and its signature. It imports
// nothing of SpiderGo's own, so that the Go SDK, the CLI and the server can
// all share it without pulling in the server.
//
// Field names follow the API's conventions: request bodies and account or key
// bodies are snake_case; scrape and crawl results keep the integration
// guide's PascalCase envelope, {"message": Envelope}.
package api

// Job kinds, as reported in Envelope.Kind.
const (
	KindScrape = "scrape"
	KindCrawl  = "crawl"
	KindBatch  = "batch"
	KindMap    = "map"
)

// Job statuses, as reported in Envelope.Status.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
	StatusFailed    = "failed"
)

// Error is the body of every error answer.
type Error struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	// RequiresVerification is set on a sign-in refused until the email is
	// verified.
	RequiresVerification bool `json:"requires_verification,omitempty"`
}

// Profile is the signed-in user, GET /auth/me.
type Profile struct {
	UserID     string `json:"user_id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Email      string `json:"email"`
	IsVerified bool   `json:"is_verified"`
	AvatarURL  string `json:"avatar_url"`
	CreatedAt  Time   `json:"created_at"`
}

// Key is an API key's metadata; the key itself is shown once, on creation.
type Key struct {
	KeyID      string `json:"key_id"`
	Name       string `json:"name"`
	Prefix     string `json:"prefix"`
	Last4      string `json:"last4"`
	DailyLimit int    `json:"daily_limit"`
	IsActive   bool   `json:"is_active"`
	CreatedAt  Time   `json:"created_at"`
	LastUsedAt *Time  `json:"last_used_at"`
	RevokedAt  *Time  `json:"revoked_at"`
}

// CreatedKey is the answer of POST /auth/api-keys.
type CreatedKey struct {
	Message string `json:"message"`
	APIKey  string `json:"api_key"`
	Meta    Key    `json:"meta"`
}

// Keys is the answer of GET /auth/api-keys.
type Keys struct {
	Keys []Key `json:"keys"`
}

// DayUsage is one UTC day's request count of a key.
type DayUsage struct {
	Day  string `json:"day"`
	Used int    `json:"used"`
}

// KeyUsage is the answer of GET /auth/api-keys/{id}/usage: a key's count
// for each of the last 30 UTC days, oldest first, zeros included.
type KeyUsage struct {
	KeyID      string     `json:"key_id"`
	DailyLimit int        `json:"daily_limit"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	Total      int        `json:"total"`
	Days       []DayUsage `json:"days"`
}

// Usage is the answer of GET /v1/usage: the calling key's quota today.
type Usage struct {
	KeyID      string `json:"key_id"`
	DailyLimit int    `json:"daily_limit"`
	UsedToday  int    `json:"used_today"`
	Remaining  int    `json:"remaining"`
	ResetsAt   Time   `json:"resets_at"`
}
