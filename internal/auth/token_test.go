package auth

import (
	"encoding/base64"
	"testing"
)

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b {
		t.Fatal("two tokens are equal")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != TokenBytes {
		t.Errorf("token %q: %d bytes, %v; want %d URL-safe bytes", a, len(raw), err, TokenBytes)
	}
	if HashToken(a) == HashToken(b) || HashToken(a) != HashToken(a) || len(HashToken(a)) != 64 {
		t.Error("HashToken is not a stable hex SHA-256")
	}
	if !Equal(a, a) || Equal(a, b) || Equal(a, "") {
		t.Error("Equal is wrong")
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewCode()
		if !IsCode(c) {
			t.Fatalf("NewCode() = %q, not six digits", c)
		}
		seen[c] = true
	}
	if len(seen) < 190 {
		t.Errorf("200 codes held only %d distinct values", len(seen))
	}
	for _, s := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦"} {
		if IsCode(s) {
			t.Errorf("IsCode(%q) = true", s)
		}
	}
	if HashCode("u1", "verify_email", "123456") == HashCode("u2", "verify_email", "123456") ||
		HashCode("u1", "verify_email", "123456") == HashCode("u1", "reset_password", "123456") {
		t.Error("a code's hash does not depend on its user and purpose")
	}
}
