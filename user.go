package spidergo

import (
	"context"
	"time"
)

// User is an account. PasswordHash is empty for accounts that only sign in
// through an OAuth provider.
type User struct {
	ID           string
	FirstName    string
	LastName     string
	Email        string // lower-cased
	PasswordHash string
	IsVerified   bool
	AvatarURL    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserStore keeps accounts. Emails are unique (case-insensitively; callers
// store them lower-cased).
type UserStore interface {
	// CreateUser inserts u, filling ID and times when empty; ECONFLICT when
	// the email is taken.
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers returns accounts oldest first.
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser writes the mutable fields of u.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the account and, by cascade, everything it owns.
	DeleteUser(ctx context.Context, id string) error
	// WebhookSecret returns the key the user's webhooks are signed with,
	// creating it on first use; RotateWebhookSecret replaces it.
	WebhookSecret(ctx context.Context, userID string) (string, error)
	RotateWebhookSecret(ctx context.Context, userID string) (string, error)
}
