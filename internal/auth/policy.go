package auth

import (
	_ "embed"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spidergo/spidergo"
)

// Password length bounds, in characters. The upper bound only keeps
// requests sane; argon2 hashes any length at the same cost.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 256
)

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPassword returns an EINVALID error explaining why password may not
// be used by the account with email, or nil.
func CheckPassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return spidergo.Errorf(spidergo.EINVALID, "The password must be valid UTF-8 text.")
	case n < MinPasswordLen:
		return spidergo.Errorf(spidergo.EINVALID, "The password must be at least %d characters long.", MinPasswordLen)
	case n > MaxPasswordLen:
		return spidergo.Errorf(spidergo.EINVALID, "The password must be at most %d characters long.", MaxPasswordLen)
	case isCommon(password):
		return spidergo.Errorf(spidergo.EINVALID, "This password is too common and easy to guess; choose another.")
	case oneRune(password):
		return spidergo.Errorf(spidergo.EINVALID, "The password must not repeat a single character.")
	}
	lower := strings.ToLower(password)
	if email != "" {
		local, _, _ := strings.Cut(strings.ToLower(email), "@")
		if lower == strings.ToLower(email) || lower == local {
			return spidergo.Errorf(spidergo.EINVALID, "The password must not be your email address.")
		}
	}
	return nil
}

// isCommon reports whether p is on the list, as is or once the digits and
// symbols people tack on at the end ("Password2024!") are cut off.
func isCommon(p string) bool {
	lower := strings.ToLower(p)
	if commonPasswords[lower] {
		return true
	}
	base := strings.TrimRightFunc(lower, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
	return base != lower && commonPasswords[base]
}

func oneRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

// NormalizeEmail returns email trimmed and lower-cased when it is a plain
// address (no display name, no comments), else an EINVALID error.
func NormalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	bad := spidergo.Errorf(spidergo.EINVALID, "Enter a valid email address.")
	if email == "" {
		return "", spidergo.Errorf(spidergo.EINVALID, "The email address is required.")
	}
	if len(email) > 254 || strings.ContainsAny(email, " \t\r\n<>,;\"()") {
		return "", bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email {
		return "", bad
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || len(local) > 64 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", bad
	}
	return strings.ToLower(email), nil
}
