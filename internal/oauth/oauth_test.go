package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestSplitName(t *testing.T) {
	for _, tt := range []struct{ in, first, last string }{
		{"Ada Lovelace", "Ada", "Lovelace"},
		{"  Ada   King  Lovelace ", "Ada", "King Lovelace"},
		{"Cher", "Cher", ""},
		{"", "", ""},
	} {
		if f, l := SplitName(tt.in); f != tt.first || l != tt.last {
			t.Errorf("SplitName(%q) = %q, %q; want %q, %q", tt.in, f, l, tt.first, tt.last)
		}
	}
}

func TestAuthCodeURL(t *testing.T) {
	p := &Provider{Name: "google", ClientID: "cid", AuthURL: "https://auth.example/o?prompt=select_account", RedirectURL: "https://spidergo.example/auth/oauth/google"}
	u, err := url.Parse(p.AuthCodeURL("st", "verifier"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("prompt") != "select_account" || q.Get("state") != "st" || q.Get("code_challenge") != Challenge("verifier") ||
		q.Get("scope") != "openid email profile" || q.Get("redirect_uri") != p.RedirectURL {
		t.Errorf("query = %v", q)
	}
	// RFC 7636 appendix B's example.
	if got := Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("Challenge = %s", got)
	}
}

func TestExchangeAndProfileErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token-error":
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "Bad code"})
		case "/token-500":
			http.Error(w, "oops", http.StatusInternalServerError)
		case "/token-html":
			w.Write([]byte("<html>hi</html>"))
		case "/user-string-verified":
			json.NewEncoder(w).Encode(map[string]any{"sub": "1", "email": "a@example.com", "email_verified": "true", "name": "Ada Lovelace"})
		case "/user-401":
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	for _, path := range []string{"/token-error", "/token-500", "/token-html"} {
		p := &Provider{Name: "github", TokenURL: srv.URL + path}
		if _, err := p.Exchange(ctx, "c", "v"); !IsProviderError(err) {
			t.Errorf("Exchange via %s = %v, want a provider error", path, err)
		}
	}
	p := &Provider{Name: "google", TokenURL: "http://127.0.0.1:1/token"}
	if _, err := p.Exchange(ctx, "c", "v"); err == nil || IsProviderError(err) {
		t.Errorf("Exchange with the provider down = %v, want a transport error", err)
	}

	p = &Provider{Name: "google", UserURL: srv.URL + "/user-string-verified"}
	prof, err := p.Profile(ctx, "tok")
	if err != nil || !prof.EmailVerified || prof.FirstName != "Ada" || prof.LastName != "Lovelace" {
		t.Errorf("Profile = %+v, %v", prof, err)
	}
	p = &Provider{Name: "google", UserURL: srv.URL + "/user-401"}
	if _, err := p.Profile(ctx, "tok"); !IsProviderError(err) {
		t.Errorf("Profile with a refused token = %v, want a provider error", err)
	}
}
