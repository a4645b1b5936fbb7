package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/oauth"
)

// The state cookie ties a provider's callback to the browser that started
// the sign-in: it holds the provider, the state echoed back and the PKCE
// verifier. SameSite=Lax still sends it on the provider's top-level
// redirect back to us.
const (
	stateCookie = "oauth_state"
	statePath   = "/auth/oauth"
	stateTTL    = 10 * time.Minute
)

// handleOAuthStart sends the browser to the provider's sign-in page.
func (s *Server) handleOAuthStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.accounts.Provider(r.URL.Query().Get("provider"))
	if err != nil {
		return err
	}
	state, verifier := auth.NewToken(), oauth.NewVerifier()
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: p.Name + "." + state + "." + verifier, Path: statePath,
		MaxAge: int(stateTTL / time.Second), HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.AuthCodeURL(state, verifier), http.StatusFound)
	return nil
}

// handleOAuthCallback finishes a provider sign-in: it checks the state,
// has the account service sign the provider's user in (or up), starts a
// session and sends the browser home.
func (s *Server) handleOAuthCallback(w http.ResponseWriter, r *http.Request) error {
	p, err := s.accounts.Provider(r.PathValue("provider"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	// The state is single-use whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: "", Path: statePath, MaxAge: -1, HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return spidergo.Errorf(spidergo.EFORBIDDEN, "Sign-in with %s was cancelled or refused.", p.Name)
	}
	state, code := q.Get("state"), q.Get("code")
	if state == "" || code == "" {
		return spidergo.Errorf(spidergo.EINVALID, "The callback lacks its state or code; start the sign-in again.")
	}
	c, err := r.Cookie(stateCookie)
	if err != nil {
		return spidergo.Errorf(spidergo.EFORBIDDEN, "This sign-in was not started in this browser or took too long; start it again.")
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || parts[0] != p.Name || !auth.Equal(parts[1], state) {
		return spidergo.Errorf(spidergo.EFORBIDDEN, "The sign-in state does not match; start the sign-in again.")
	}
	verifier := parts[2]

	u, err := s.accounts.SignInWithProvider(r.Context(), p.Name, code, verifier)
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusFound)
	return nil
}
