package auth

import (
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
)

func TestCheckPassword(t *testing.T) {
	for _, tt := range []struct {
		password string
		ok       bool
		why      string
	}{
		{"correct horse battery staple", true, ""},
		{"tr0ub4dor&3x", true, ""},
		{"short1!", false, "at least 8"},
		{"password", false, "too common"},
		{"Password123", false, "too common"},
		{"PASSWORD2024!", false, "too common"},
		{"sunshine!!", false, "too common"},
		{"12345678", false, "too common"},
		{"qwertyuiop", false, "too common"},
		{"zzzzzzzzzz", false, "single character"},
		{"ada.lovelace", false, "email"},
		{"Ada.Lovelace@Example.com", false, "email"},
		{strings.Repeat("ab", 129), false, "at most"},
		{"ünïcödé pässwörd", true, ""},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", false, "UTF-8"},
	} {
		err := CheckPassword(tt.password, "ada.lovelace@example.com")
		if (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok %v", tt.password, err, tt.ok)
			continue
		}
		if err != nil {
			if spidergo.ErrorCode(err) != spidergo.EINVALID || !strings.Contains(spidergo.ErrorMessage(err), tt.why) {
				t.Errorf("CheckPassword(%q) = %v, want EINVALID mentioning %q", tt.password, err, tt.why)
			}
		}
	}
	if len(commonPasswords) < 300 {
		t.Errorf("common password list has %d entries", len(commonPasswords))
	}
}

func TestNormalizeEmail(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Ada@Example.COM", "ada@example.com"},
		{"  ada+tag@example.co.uk ", "ada+tag@example.co.uk"},
		{"", ""},
		{"ada", ""},
		{"ada@localhost", ""},
		{"Ada <ada@example.com>", ""},
		{"ada@example.com, bob@example.com", ""},
		{"ada@@example.com", ""},
		{"ada@example..com", ""},
		{"ada@.example.com", ""},
		{"ada@example.com.", ""},
		{"a\nb@example.com", ""},
		{strings.Repeat("a", 65) + "@example.com", ""},
		{"ada@" + strings.Repeat("x", 250) + ".com", ""},
	} {
		got, err := NormalizeEmail(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
