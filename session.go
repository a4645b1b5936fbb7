package spidergo

import (
	"context"
	"time"
)

// Session is one signed-in browser: a family of access and refresh tokens
// that rotate together. Only SHA-256 hashes of the tokens are stored, so a
// copy of the database does not let anyone sign in.
type Session struct {
	ID          string
	UserID      string
	AccessHash  string // hex SHA-256 of the access token
	RefreshHash string // hex SHA-256 of the refresh token
	// AccessExpiresAt ends the access token; RefreshExpiresAt ends the
	// refresh token and slides forward on every rotation; ExpiresAt is the
	// absolute end of the session that no rotation moves.
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
	ExpiresAt        time.Time
	CreatedAt        time.Time
	LastUsedAt       time.Time
	UserAgent        string
	IP               string
}

// SessionRotation is what a refresh installs in place of the old tokens.
type SessionRotation struct {
	AccessHash       string
	RefreshHash      string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// ErrRefreshReused is returned when a refresh token that was already
// rotated away is presented again. Someone holds a copy of it, so the store
// has ended the whole session.
var ErrRefreshReused = &Error{Code: EUNAUTHORIZED, Message: "This session has ended; sign in again."}

// SessionStore keeps cookie sessions.
type SessionStore interface {
	// CreateSession inserts s, filling ID and CreatedAt when empty.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByAccessHash returns the session whose access token hashes to
	// hash, when neither the token nor the session has expired at now;
	// ErrNotFound otherwise.
	SessionByAccessHash(ctx context.Context, hash string, now time.Time) (*Session, error)
	// RotateSession replaces the tokens of the session whose current refresh
	// token hashes to refreshHash and returns the updated session. Of two
	// rotations racing with the same token at most one succeeds. A refresh
	// token that was already rotated away ends its session and gives
	// ErrRefreshReused; an unknown or expired one gives ErrNotFound.
	RotateSession(ctx context.Context, refreshHash string, next SessionRotation, now time.Time) (*Session, error)
	// DeleteSession ends one session; ErrNotFound when it does not exist.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions ends every session of a user.
	DeleteUserSessions(ctx context.Context, userID string) error
	// DeleteExpired removes sessions and codes that can no longer be used.
	DeleteExpired(ctx context.Context, now time.Time) error
}

// Code purposes.
const (
	CodeVerifyEmail   = "verify_email"   // 6 digits mailed at sign-up
	CodeResetPassword = "reset_password" // 6 digits mailed by forgot-password
	CodeResetToken    = "reset_token"    // random token that a reset code is traded for
)

// MaxCodeAttempts is how many guesses a code survives: the attempt that
// reaches it is the last one, right or wrong.
const MaxCodeAttempts = 5

// Code is a single-use secret mailed to (or handed to) a user. Only its
// hash is stored.
type Code struct {
	UserID    string
	Purpose   string
	Hash      string
	Attempts  int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// ErrCodeInvalid is returned for a wrong, expired, used or burnt code. The
// one message covers every case so that answers reveal nothing.
var ErrCodeInvalid = &Error{Code: EINVALID, Message: "The code is invalid or has expired."}

// CodeStore keeps verification and reset codes: at most one live code per
// user and purpose.
type CodeStore interface {
	// PutCode stores c, replacing the user's earlier code of that purpose.
	PutCode(ctx context.Context, c *Code) error
	// UseCode spends one attempt on the user's live code for purpose. When
	// its hash equals hash the code is deleted (single use) and UseCode
	// returns nil; otherwise, or when there is no live code, ErrCodeInvalid.
	// The code is deleted once MaxCodeAttempts attempts were spent on it.
	// Concurrent calls never let one code be used twice.
	UseCode(ctx context.Context, userID, purpose, hash string, now time.Time) error
	// DeleteCodes removes the user's codes of the given purposes.
	DeleteCodes(ctx context.Context, userID string, purposes ...string) error
}

// Identity links an account to a sign-in provider's user.
type Identity struct {
	Provider  string // google or github
	Subject   string // the provider's stable user id
	UserID    string
	Email     string // the email the provider reported when linked
	CreatedAt time.Time
}

// IdentityStore keeps OAuth identities.
type IdentityStore interface {
	// IdentityBySubject returns the identity of provider's user subject;
	// ErrNotFound when none.
	IdentityBySubject(ctx context.Context, provider, subject string) (*Identity, error)
	// CreateIdentity links id to its user; ECONFLICT when the provider's
	// user is already linked.
	CreateIdentity(ctx context.Context, id *Identity) error
}
