package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
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

// provider returns the configured provider name, or an error saying why
// there is none.
func (s *Server) provider(name string) (*oauth.Provider, error) {
	if !slices.Contains(oauth.Names, name) {
		return nil, spidergo.Errorf(spidergo.EINVALID, "Unknown sign-in provider %q; use google or github.", name)
	}
	p := s.acct.oauth[name]
	if p == nil {
		return nil, spidergo.Errorf(spidergo.ENOTFOUND, "Sign-in with %s is not configured on this server.", name)
	}
	return p, nil
}

// handleOAuthStart sends the browser to the provider's sign-in page.
func (s *Server) handleOAuthStart(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provider(r.URL.Query().Get("provider"))
	if err != nil {
		return err
	}
	state, verifier := auth.NewToken(), auth.NewToken()
	http.SetCookie(w, &http.Cookie{
		Name: stateCookie, Value: p.Name + "." + state + "." + verifier, Path: statePath,
		MaxAge: int(stateTTL / time.Second), HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.AuthCodeURL(state, verifier), http.StatusFound)
	return nil
}

// handleOAuthCallback finishes a provider sign-in: it checks the state,
// exchanges the code, reads the profile, finds or creates the account,
// starts a session and sends the browser home.
func (s *Server) handleOAuthCallback(w http.ResponseWriter, r *http.Request) error {
	p, err := s.provider(r.PathValue("provider"))
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

	token, err := p.Exchange(r.Context(), code, verifier)
	if err != nil {
		return providerError(p.Name, err)
	}
	prof, err := p.Profile(r.Context(), token)
	if err != nil {
		return providerError(p.Name, err)
	}
	u, err := s.oauthUser(r.Context(), p.Name, prof)
	if err != nil {
		return err
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusFound)
	return nil
}

func providerError(name string, err error) error {
	if oauth.IsProviderError(err) {
		return &spidergo.Error{Code: spidergo.EFORBIDDEN, Message: "Sign-in with " + name + " was refused; start it again.", Err: err}
	}
	return &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "Could not reach " + name + " to finish signing in; try again.", Err: err}
}

// oauthUser finds or creates the account for a provider's user:
//
//   - an identity linked before signs in its account;
//   - otherwise the provider must vouch for the email address, or we could
//     hand someone else's account to whoever typed its address at the
//     provider; with that, an account with the address is linked, and a
//     new one is created when there is none.
//
// When the linked account was never verified, whoever registered it never
// proved they own the address, while the provider's user just did: the
// password set at registration is dropped and its sessions end, so that a
// squatter who registered the address first is locked out.
func (s *Server) oauthUser(ctx context.Context, provider string, prof *oauth.Profile) (*spidergo.User, error) {
	id, err := s.store.IdentityBySubject(ctx, provider, prof.Subject)
	if err == nil {
		return s.store.UserByID(ctx, id.UserID)
	}
	if !errors.Is(err, spidergo.ErrNotFound) {
		return nil, err
	}
	email, err := auth.NormalizeEmail(prof.Email)
	if err != nil || !prof.EmailVerified {
		return nil, spidergo.Errorf(spidergo.EFORBIDDEN, "Your %s account has no verified primary email address; verify one there and try again.", provider)
	}
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, spidergo.ErrNotFound):
		first, _ := cleanName("first_name", prof.FirstName)
		last, _ := cleanName("last_name", prof.LastName)
		u = &spidergo.User{FirstName: first, LastName: last, Email: email, IsVerified: true, AvatarURL: avatar(prof.AvatarURL)}
		if err := s.store.CreateUser(ctx, u); err != nil {
			if spidergo.ErrorCode(err) != spidergo.ECONFLICT {
				return nil, err
			}
			// A parallel callback created it first.
			if u, err = s.store.UserByEmail(ctx, email); err != nil {
				return nil, err
			}
		}
	case err != nil:
		return nil, err
	default:
		changed := false
		if !u.IsVerified {
			u.IsVerified, u.PasswordHash, changed = true, "", true
			if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
				return nil, err
			}
			if err := s.store.DeleteCodes(ctx, u.ID, spidergo.CodeVerifyEmail, spidergo.CodeResetPassword, spidergo.CodeResetToken); err != nil {
				return nil, err
			}
		}
		if u.AvatarURL == "" && avatar(prof.AvatarURL) != "" {
			u.AvatarURL, changed = avatar(prof.AvatarURL), true
		}
		if changed {
			if err := s.store.UpdateUser(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	err = s.store.CreateIdentity(ctx, &spidergo.Identity{Provider: provider, Subject: prof.Subject, UserID: u.ID, Email: email})
	if err != nil && spidergo.ErrorCode(err) != spidergo.ECONFLICT {
		return nil, err
	}
	return u, nil
}

// avatar keeps a provider's picture URL only when it is https and of sane
// length, since the dashboard puts it in an img tag.
func avatar(u string) string {
	if strings.HasPrefix(u, "https://") && len(u) <= 2048 {
		return u
	}
	return ""
}
