package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
)

// TestClaimEndsTheSquatter plays the account takeover: someone registers
// the owner's address with a password of their own, signs in, creates an
// API key and runs a job; then the owner proves the address. Whatever way
// the proof comes, the squatter's key, session and webhook secret must be
// gone, the job kept, and the owner told.
func TestClaimEndsTheSquatter(t *testing.T) {
	f := newFakeProvider(t)
	eachStore(t, f.env(), func(t *testing.T, e *acctEnv) { testClaim(t, f, e) })
}

func testClaim(t *testing.T, f *fakeProvider, e *acctEnv) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		email string
		// prove has the owner prove the address.
		prove func(t *testing.T, email string)
	}{
		{"provider sign-in", "owner-oauth@example.com", func(t *testing.T, email string) {
			f.set(googleProfile("g-claim", email, true), nil)
			b := e.browser(t)
			finishOAuth(t, b, "google", f.start(t, b, "google"), http.StatusFound)
		}},
		{"email verification", "owner-verify@example.com", func(t *testing.T, email string) {
			// The code went to the owner's mailbox, not the squatter's.
			code := e.lastCode(t, email)
			res, body := e.browser(t).call("POST", "/auth/verify-email", map[string]string{"email": email, "code": code})
			wantStatus(t, res, body, http.StatusOK)
		}},
		{"password reset by code", "owner-reset@example.com", func(t *testing.T, email string) {
			b := e.browser(t)
			res, body := b.call("POST", "/auth/forgot-password", map[string]string{"email": email})
			wantStatus(t, res, body, http.StatusOK)
			code := e.lastCode(t, email)
			res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": email, "code": code, "password": "the owner's own passphrase"})
			wantStatus(t, res, body, http.StatusOK)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.register(t, tt.email, "squatter's passphrase")
			squatter := e.login(t, tt.email, "squatter's passphrase")
			res, created := squatter.call("POST", "/auth/api-keys", map[string]string{"name": "squatter"})
			wantStatus(t, res, created, http.StatusCreated)
			secret := created["api_key"].(string)
			res, before := e.browser(t).call("GET", "/v1/webhook-secret", nil, "Authorization", "Bearer "+secret)
			wantStatus(t, res, before, http.StatusOK)
			if s, _ := before["webhook_secret"].(string); s == "" {
				t.Fatalf("webhook secret answer = %v", before)
			}
			u, err := e.s.store.UserByEmail(ctx, tt.email)
			if err != nil {
				t.Fatal(err)
			}
			job := &spidergo.Job{UserID: u.ID, Kind: spidergo.KindScrape, URL: "https://squatted.example/page", Status: spidergo.StatusCompleted, Options: []byte(`{}`), CreatedAt: time.Now()}
			if err := e.s.store.CreateJob(ctx, job); err != nil {
				t.Fatal(err)
			}

			tt.prove(t, tt.email)
			e.s.accounts.Close() // the claim mail

			res, body := e.browser(t).call("GET", "/v1/usage", nil, "Authorization", "Bearer "+secret)
			wantStatus(t, res, body, http.StatusForbidden)
			if !strings.Contains(body["message"].(string), "revoked") {
				t.Errorf("squatter's key answer = %v, want revoked", body)
			}
			res, body = squatter.call("GET", "/auth/me", nil)
			wantStatus(t, res, body, http.StatusUnauthorized)
			after, err := e.s.store.WebhookSecret(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after == before["webhook_secret"] || after == "" {
				t.Errorf("webhook secret kept after the claim: %q", after)
			}
			if _, err := e.s.store.Job(ctx, u.ID, job.ID); err != nil {
				t.Errorf("the job of the unverified period is gone: %v", err)
			}
			msgs := e.mail.to(tt.email)
			last := msgs[len(msgs)-1]
			for _, want := range []string{"revoked", "…" + secret[len(secret)-4:], "webhook signing secret was replaced", job.URL} {
				if !strings.Contains(last.Body, want) {
					t.Errorf("claim mail lacks %q:\n%s", want, last.Body)
				}
			}
			if u, _ := e.s.store.UserByID(ctx, u.ID); !u.IsVerified {
				t.Error("the account is not verified after the claim")
			}
		})
	}
}

// TestResetOfVerifiedAccount checks what a normal password reset does to
// keys: they keep working, the mail lists them with their last use, and
// revoke-all ends them at once.
func TestResetOfVerifiedAccount(t *testing.T) { eachStore(t, nil, testResetOfVerifiedAccount) }

func testResetOfVerifiedAccount(t *testing.T, e *acctEnv) {
	const email = "kept@example.com"
	e.register(t, email, goodPassword)
	res, body := e.browser(t).call("POST", "/auth/verify-email", map[string]string{"email": email, "code": e.lastCode(t, email)})
	wantStatus(t, res, body, http.StatusOK)
	owner := e.login(t, email, goodPassword)
	var secrets []string
	for _, name := range []string{"laptop", "ci"} {
		res, created := owner.call("POST", "/auth/api-keys", map[string]string{"name": name})
		wantStatus(t, res, created, http.StatusCreated)
		secrets = append(secrets, created["api_key"].(string))
	}
	res, body = e.browser(t).call("GET", "/v1/usage", nil, "Authorization", "Bearer "+secrets[0])
	wantStatus(t, res, body, http.StatusOK)
	e.s.keys.FlushLastUsed(context.Background())

	b := e.browser(t)
	res, body = b.call("POST", "/auth/forgot-password", map[string]string{"email": email})
	wantStatus(t, res, body, http.StatusOK)
	res, body = b.call("POST", "/auth/reset-password", map[string]string{"email": email, "code": e.lastCode(t, email), "password": "a brand new passphrase"})
	wantStatus(t, res, body, http.StatusOK)
	e.s.accounts.Close()

	msgs := e.mail.to(email)
	notice := msgs[len(msgs)-1]
	for _, want := range []string{"laptop (…" + secrets[0][len(secrets[0])-4:] + ")", "last used", "ci (…" + secrets[1][len(secrets[1])-4:] + ")", "never used", "/auth/api-keys/revoke-all"} {
		if !strings.Contains(notice.Body, want) {
			t.Errorf("reset notice lacks %q:\n%s", want, notice.Body)
		}
	}
	res, body = owner.call("GET", "/auth/me", nil)
	wantStatus(t, res, body, http.StatusUnauthorized)
	res, body = e.browser(t).call("GET", "/v1/usage", nil, "Authorization", "Bearer "+secrets[1])
	wantStatus(t, res, body, http.StatusOK)

	owner = e.login(t, email, "a brand new passphrase")
	res, body = owner.call("POST", "/auth/api-keys/revoke-all", nil)
	wantStatus(t, res, body, http.StatusOK)
	if body["revoked"] != float64(2) {
		t.Errorf("revoke-all = %v, want 2 revoked", body)
	}
	for _, s := range secrets {
		res, body = e.browser(t).call("GET", "/v1/usage", nil, "Authorization", "Bearer "+s)
		wantStatus(t, res, body, http.StatusForbidden)
	}
	res, body = owner.call("POST", "/auth/api-keys/revoke-all", nil)
	wantStatus(t, res, body, http.StatusOK)
	if body["revoked"] != float64(0) {
		t.Errorf("second revoke-all = %v, want 0 revoked", body)
	}
}
