package spidergo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// APIKeyPrefix starts every API key, so that keys are recognisable in
// configuration files and secret scanners.
const APIKeyPrefix = "sk_live_"

// apiKeyRandomBytes is the entropy of a key: 256 bits, far beyond guessing.
const apiKeyRandomBytes = 32

// MaxAPIKeyNameLength is the longest key name, in characters.
const MaxAPIKeyNameLength = 100

// UsageDays is how many days of per-day counts a key's usage chart shows
// (today included). Counters are kept at least this long.
const UsageDays = 30

// APIKey is a key's stored form. The key itself is never stored: only the
// hex SHA-256 of it (Hash) and its last four characters, which are enough
// for people to tell their keys apart.
type APIKey struct {
	ID         string
	UserID     string
	Name       string
	Hash       string
	Last4      string
	DailyLimit int
	IsActive   bool
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first use
	RevokedAt  time.Time // zero while active
}

// DayCount is the number of quota units a key used on one UTC day
// ("2006-01-02").
type DayCount struct {
	Day  string
	Used int
}

// QuotaCounter counts the quota units each API key has used per UTC day.
// The store implements it in SQL; internal/quota implements it on Redis.
// Every implementation must be exact under concurrency and across
// processes: Take never lets more than limit units through on one day.
type QuotaCounter interface {
	// TakeQuota takes one unit of keyID's quota for day when fewer than
	// limit are used. It returns the count after taking and true, or the
	// current count and false when the quota is spent.
	TakeQuota(ctx context.Context, keyID, day string, limit int) (used int, ok bool, err error)
	// ReturnQuota gives back one unit taken on day; the count never goes
	// below zero.
	ReturnQuota(ctx context.Context, keyID, day string) error
	// QuotaUsed returns the units used on day.
	QuotaUsed(ctx context.Context, keyID, day string) (int, error)
	// QuotaUsage returns the days from..to (inclusive) on which keyID used
	// any units, oldest first; days without use are left out.
	QuotaUsage(ctx context.Context, keyID, from, to string) ([]DayCount, error)
}

// APIKeyStore keeps API keys and, in the database, their quota counters.
type APIKeyStore interface {
	QuotaCounter

	// CreateAPIKey inserts k (ID, Hash, Last4, Name, UserID and DailyLimit
	// set by the caller; CreatedAt filled) unless its user already has
	// maxActive active keys, which is ECONFLICT. The check and the insert
	// are one atomic step, so racing creates never exceed maxActive.
	// ENOTFOUND when the user does not exist.
	CreateAPIKey(ctx context.Context, k *APIKey, maxActive int) error
	// APIKeyByHash returns the key (active or not) whose Hash is hash.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// APIKeyByID returns the key with id, whoever owns it.
	APIKeyByID(ctx context.Context, id string) (*APIKey, error)
	// ListAPIKeys returns userID's keys oldest first: active ones only,
	// or all when includeRevoked.
	ListAPIKeys(ctx context.Context, userID string, includeRevoked bool) ([]*APIKey, error)
	// RevokeAPIKey deactivates userID's key id and returns it. Revoking a
	// revoked key changes nothing; another user's or an unknown id is
	// ErrNotFound.
	RevokeAPIKey(ctx context.Context, userID, id string) (*APIKey, error)
	// RevokeUserAPIKeys deactivates every active key of userID at once and
	// returns the keys it revoked, oldest first.
	RevokeUserAPIKeys(ctx context.Context, userID string) ([]*APIKey, error)
	// TouchAPIKeys records when keys were last used, key id → time; a time
	// older than the stored one is ignored.
	TouchAPIKeys(ctx context.Context, used map[string]time.Time) error
}

// NewAPIKey validates name and makes a new key for userID: it returns the
// key to store and the secret to show once. The name is trimmed.
func NewAPIKey(userID, name string, dailyLimit int) (*APIKey, string, error) {
	name, err := CleanAPIKeyName(name)
	if err != nil {
		return nil, "", err
	}
	if dailyLimit < 1 {
		return nil, "", Errorf(EINVALID, "The daily limit must be 1 or more.")
	}
	b := make([]byte, apiKeyRandomBytes)
	rand.Read(b) // never fails: since Go 1.24 a broken source crashes the program
	secret := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return &APIKey{
		ID:         NewID(),
		UserID:     userID,
		Name:       name,
		Hash:       HashAPIKey(secret),
		Last4:      secret[len(secret)-4:],
		DailyLimit: dailyLimit,
		IsActive:   true,
	}, secret, nil
}

// CleanAPIKeyName trims name and checks it is 1–100 characters without
// control characters (which would garble dashboards and logs).
func CleanAPIKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "", Errorf(EINVALID, "A key name is required.")
	}
	if n > MaxAPIKeyNameLength {
		return "", Errorf(EINVALID, "A key name must be at most %d characters.", MaxAPIKeyNameLength)
	}
	if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", Errorf(EINVALID, "A key name must not contain control characters.")
	}
	return name, nil
}

// HashAPIKey returns the stored form of a key. A fast hash is right here:
// the key has 256 random bits, so there is nothing to brute-force, and the
// lookup runs on every API request.
func HashAPIKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// WellFormedAPIKey reports whether s looks like a key SpiderGo issues: the
// prefix, then at least 32 bytes' worth of base64url characters. Checking
// the shape first spares the database lookups for junk.
func WellFormedAPIKey(s string) bool {
	body, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok || len(body) < base64.RawURLEncoding.EncodedLen(apiKeyRandomBytes) || len(body) > 256 {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// QuotaDay is the quota day t falls in: its UTC calendar date.
func QuotaDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// QuotaReset is when the quota day of t ends: the next UTC midnight.
func QuotaReset(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}
