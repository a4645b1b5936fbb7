package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
)

// TokenBytes is the entropy of every session, refresh and reset token.
const TokenBytes = 32

// NewToken returns TokenBytes random bytes in unpadded URL-safe base64,
// fit for a cookie value or a JSON string.
func NewToken() string {
	b := make([]byte, TokenBytes)
	rand.Read(b) // never fails: since Go 1.24 a broken source crashes the program
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the form a token is stored and looked up in. A plain
// SHA-256 suffices: tokens carry 256 bits of entropy, so unlike passwords
// they cannot be guessed from their hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewCode returns six random decimal digits.
func NewCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// IsCode reports whether s has the shape of a code from NewCode.
func IsCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// HashCode is the stored form of a code. The user and purpose are mixed in
// so that a code's hash means nothing for another account or use.
func HashCode(userID, purpose, code string) string {
	return HashToken(purpose + "\x00" + userID + "\x00" + code)
}

// Equal compares two secrets in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
