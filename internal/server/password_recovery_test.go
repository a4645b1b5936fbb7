package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/account"
)

// wrongCode returns a six-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestEmailVerification(t *testing.T) {
	e := newAcctEnv(t, map[string]string{"SPIDERGO_REQUIRE_EMAIL_VERIFICATION": "true"})
	e.register(t, "ada@example.com", goodPassword)
	code := e.lastCode(t, "ada@example.com")
	msgs := e.mail.to("ada@example.com")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "verification") || !strings.Contains(msgs[0].Body, "Ada") {
		t.Errorf("verification mail = %+v", msgs)
	}

	b := e.browser(t)
	res, body := b.call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusForbidden)
	if body["requires_verification"] != true || body["code"] != spidergo.EFORBIDDEN {
		t.Errorf("unverified login = %v", body)
	}
	if len(res.Cookies()) != 0 {
		t.Error("unverified login set cookies")
	}
	// The wrong password still gets the plain 401: the 403 is only for
	// whoever knows the password.
	res, body = b.call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": "wrong horse battery"})
	wantStatus(t, res, body, http.StatusUnauthorized)
	if _, ok := body["requires_verification"]; ok {
		t.Error("a wrong password learns that the account is unverified")
	}

	for _, tt := range []struct {
		name   string
		email  string
		code   string
		status int
	}{
		{"malformed code", "ada@example.com", "12ab56", 400},
		{"wrong code", "ada@example.com", wrongCode(code), 400},
		{"unknown account", "nobody@example.com", code, 400},
		{"right code", "ADA@example.com", code, 200},
		{"code used twice", "ada@example.com", code, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := b.call("POST", "/auth/verify-email", map[string]string{"email": tt.email, "code": tt.code})
			wantStatus(t, res, body, tt.status)
		})
	}
	e.login(t, "ada@example.com", goodPassword)
	res, body = e.login(t, "ada@example.com", goodPassword).call("GET", "/auth/me", nil)
	if body["is_verified"] != true {
		t.Errorf("profile after verification = %v", body)
	}

	// Resend answers alike for a waiting account, a verified one and none,
	// and mails only the waiting one.
	e.register(t, "bob@example.com", goodPassword)
	first := e.lastCode(t, "bob@example.com")
	var answers []string
	for _, email := range []string{"bob@example.com", "ada@example.com", "nobody@example.com"} {
		res, body := e.browser(t).call("POST", "/auth/resend-email", map[string]string{"email": email})
		wantStatus(t, res, body, http.StatusOK)
		answers = append(answers, fmt.Sprint(body["message"]))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("resend answers differ: %q", answers)
	}
	e.s.accounts.Close()
	if n := len(e.mail.to("ada@example.com")); n != 1 {
		t.Errorf("verified account got %d mails, want only its first", n)
	}
	if n := len(e.mail.to("nobody@example.com")); n != 0 {
		t.Errorf("unknown address got %d mails", n)
	}
	second := e.lastCode(t, "bob@example.com")
	if second != first {
		// The resent code replaces the first one.
		res, body = b.call("POST", "/auth/verify-email", map[string]string{"email": "bob@example.com", "code": first})
		wantStatus(t, res, body, http.StatusBadRequest)
	}
	res, body = b.call("POST", "/auth/verify-email", map[string]string{"email": "bob@example.com", "code": second})
	wantStatus(t, res, body, http.StatusOK)
}

func TestVerificationOptional(t *testing.T) {
	e := newAcctEnv(t, nil) // no SMTP: verification is off by default
	e.register(t, "ada@example.com", goodPassword)
	b := e.login(t, "ada@example.com", goodPassword)
	_, me := b.call("GET", "/auth/me", nil)
	if me["is_verified"] != false {
		t.Errorf("profile = %v", me)
	}
	// The code still works, for whoever wants the mark.
	res, body := b.call("POST", "/auth/verify-email", map[string]string{"email": "ada@example.com", "code": e.lastCode(t, "ada@example.com")})
	wantStatus(t, res, body, http.StatusOK)
}

func TestCodesExpireAndBurn(t *testing.T) {
	e := newAcctEnv(t, nil)
	e.register(t, "ada@example.com", goodPassword)
	b := e.browser(t)
	verify := func(code string) int {
		res, _ := b.call("POST", "/auth/verify-email", map[string]string{"email": "ada@example.com", "code": code})
		return res.StatusCode
	}

	// Ten minutes and it is gone.
	code := e.lastCode(t, "ada@example.com")
	e.clock.Advance(account.CodeTTL)
	if st := verify(code); st != 400 {
		t.Errorf("expired code = %d, want 400", st)
	}

	// Four wrong guesses leave one try.
	b.call("POST", "/auth/resend-email", map[string]string{"email": "ada@example.com"})
	code = e.lastCode(t, "ada@example.com")
	for range spidergo.MaxCodeAttempts - 1 {
		if st := verify(wrongCode(code)); st != 400 {
			t.Fatalf("wrong code = %d", st)
		}
	}
	if st := verify(code); st != 200 {
		t.Errorf("right code on the fifth try = %d, want 200", st)
	}

	// Five wrong guesses burn it: the right code fails after.
	u, _ := e.s.store.UserByEmail(context.Background(), "ada@example.com")
	u.IsVerified = false
	e.s.store.UpdateUser(context.Background(), u)
	e.clock.Advance(time.Hour) // past the resend throttle
	b.call("POST", "/auth/resend-email", map[string]string{"email": "ada@example.com"})
	code = e.lastCode(t, "ada@example.com")
	for range spidergo.MaxCodeAttempts {
		verify(wrongCode(code))
	}
	if st := verify(code); st != 400 {
		t.Errorf("right code after five wrong guesses = %d, want 400", st)
	}
}

func TestPasswordReset(t *testing.T) { eachStore(t, nil, testPasswordReset) }

func testPasswordReset(t *testing.T, e *acctEnv) {
	e.register(t, "ada@example.com", goodPassword)
	signedIn := e.login(t, "ada@example.com", goodPassword)
	b := e.browser(t)

	// Same answer for an account and for no account; mail only for one.
	var answers []string
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		res, body := b.call("POST", "/auth/forgot-password", map[string]string{"email": email})
		wantStatus(t, res, body, http.StatusOK)
		answers = append(answers, fmt.Sprint(body["message"]))
	}
	if answers[0] != answers[1] {
		t.Errorf("forgot-password answers differ: %q", answers)
	}
	code := e.lastCode(t, "ada@example.com")
	if n := len(e.mail.to("nobody@example.com")); n != 0 {
		t.Errorf("unknown address got %d mails", n)
	}
	if msgs := e.mail.to("ada@example.com"); !strings.Contains(msgs[len(msgs)-1].Subject, "reset") {
		t.Errorf("reset mail subject = %q", msgs[len(msgs)-1].Subject)
	}

	// The verification code is not a reset code.
	verifyCode := codeRE.FindString(e.mail.to("ada@example.com")[0].Body)
	res, body := b.call("POST", "/auth/verify-reset-code", map[string]string{"email": "ada@example.com", "code": verifyCode})
	wantStatus(t, res, body, http.StatusBadRequest)

	res, body = b.call("POST", "/auth/verify-reset-code", map[string]string{"email": "ada@example.com", "code": code})
	wantStatus(t, res, body, http.StatusOK)
	token, _ := body["reset_token"].(string)
	if len(token) < 43 {
		t.Fatalf("reset token %q", token)
	}
	res, body = b.call("POST", "/auth/verify-reset-code", map[string]string{"email": "ada@example.com", "code": code})
	wantStatus(t, res, body, http.StatusBadRequest) // single use

	// A weak password is refused without spending the token.
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "ada@example.com", "reset_token": token, "password": "letmein1"})
	wantStatus(t, res, body, http.StatusBadRequest)
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "ada@example.com", "password": "a brand new passphrase"})
	wantStatus(t, res, body, http.StatusBadRequest)
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "bob@example.com", "reset_token": token, "password": "a brand new passphrase"})
	wantStatus(t, res, body, http.StatusBadRequest)
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "ada@example.com", "reset_token": token, "password": "a brand new passphrase"})
	wantStatus(t, res, body, http.StatusOK)

	// Every session ended; the old password is dead; the token is spent.
	res, body = signedIn.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = signedIn.call("GET", "/auth/refresh", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("POST", "/auth/login", map[string]string{"email": "ada@example.com", "password": goodPassword})
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "ada@example.com", "reset_token": token, "password": "yet another passphrase"})
	wantStatus(t, res, body, http.StatusBadRequest)
	signedIn = e.login(t, "ada@example.com", "a brand new passphrase")
	_, me := signedIn.call("GET", "/auth/me", nil)
	if me["is_verified"] != true {
		t.Error("reading the reset mail did not verify the address")
	}

	// One step: the mailed code instead of a token.
	b.call("POST", "/auth/forgot-password", map[string]string{"email": "ada@example.com"})
	code = e.lastCode(t, "ada@example.com")
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "ada@example.com", "code": code, "password": "third passphrase here"})
	wantStatus(t, res, body, http.StatusOK)
	res, body = signedIn.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	e.login(t, "ada@example.com", "third passphrase here")

	// Reset tokens expire.
	b.call("POST", "/auth/forgot-password", map[string]string{"email": "ada@example.com"})
	res, body = b.call("POST", "/auth/verify-reset-code", map[string]string{"email": "ada@example.com", "code": e.lastCode(t, "ada@example.com")})
	wantStatus(t, res, body, http.StatusOK)
	e.clock.Advance(account.ResetTokenTTL)
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": "ada@example.com", "reset_token": body["reset_token"].(string), "password": "fourth passphrase here"})
	wantStatus(t, res, body, http.StatusBadRequest)
}

func TestMailGoesToTheLogWithoutSMTP(t *testing.T) {
	s, logs := newTestServer(t, nil)
	res, body := do(t, s.Handler(), "POST", "/auth/register", strings.NewReader(`{"email":"ada@example.com","password":"`+goodPassword+`"}`), nil)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register = %d %v", res.StatusCode, body)
	}
	s.accounts.Close()
	out := logs.String()
	i := strings.Index(out, "mail not sent")
	if i < 0 || !strings.Contains(out[i:], "ada@example.com") || !codeRE.MatchString(out[i:]) {
		t.Errorf("the code was not logged:\n%s", out)
	}
}
