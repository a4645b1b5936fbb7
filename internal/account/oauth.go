package account

import (
	"context"
	"errors"
	"slices"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/oauth"
)

// Provider returns the configured provider name, or an error saying why
// there is none.
func (s *Service) Provider(name string) (*oauth.Provider, error) {
	if !slices.Contains(oauth.Names, name) {
		return nil, spidergo.Errorf(spidergo.EINVALID, "Unknown sign-in provider %q; use google or github.", name)
	}
	p := s.providers[name]
	if p == nil {
		return nil, spidergo.Errorf(spidergo.ENOTFOUND, "Sign-in with %s is not configured on this server.", name)
	}
	return p, nil
}

// SignInWithProvider finishes a provider sign-in: it trades the callback's
// code (with the PKCE verifier) for the provider's profile and returns the
// account to sign in, found or created:
//
//   - an identity linked before signs in its account;
//   - otherwise the provider must vouch for the email address, or we could
//     hand someone else's account to whoever typed its address at the
//     provider; with that, an account with the address is linked, and a
//     new one is created when there is none.
//
// When the linked account was never verified, whoever registered it never
// proved they own the address, while the provider's user just did: the
// account is claimed (see claim), which locks a squatter out.
func (s *Service) SignInWithProvider(ctx context.Context, name, code, verifier string) (*spidergo.User, error) {
	p, err := s.Provider(name)
	if err != nil {
		return nil, err
	}
	token, err := p.Exchange(ctx, code, verifier)
	if err != nil {
		return nil, providerError(p.Name, err)
	}
	prof, err := p.Profile(ctx, token)
	if err != nil {
		return nil, providerError(p.Name, err)
	}
	return s.providerUser(ctx, p.Name, prof)
}

func providerError(name string, err error) error {
	if oauth.IsProviderError(err) {
		return &spidergo.Error{Code: spidergo.EFORBIDDEN, Message: "Sign-in with " + name + " was refused; start it again.", Err: err}
	}
	return &spidergo.Error{Code: spidergo.EUNAVAILABLE, Message: "Could not reach " + name + " to finish signing in; try again.", Err: err}
}

func (s *Service) providerUser(ctx context.Context, provider string, prof *oauth.Profile) (*spidergo.User, error) {
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
		// A provider's names are whatever its user typed: cleaned, and
		// dropped rather than refused when unusable.
		first, _ := cleanName("first_name", prof.FirstName)
		last, _ := cleanName("last_name", prof.LastName)
		u, err = s.createChecked(ctx, NewUser{FirstName: first, LastName: last, Email: email, Verified: true, AvatarURL: prof.AvatarURL})
		if errors.Is(err, spidergo.ErrEmailTaken) {
			// A parallel callback created it first.
			u, err = s.store.UserByEmail(ctx, email)
		}
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		if !u.IsVerified {
			if err := s.claim(ctx, u, claimByProvider); err != nil {
				return nil, err
			}
		}
		if u.AvatarURL == "" && avatar(prof.AvatarURL) != "" {
			u.AvatarURL = avatar(prof.AvatarURL)
			if err := s.store.UpdateUser(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	err = s.store.CreateIdentity(ctx, &spidergo.Identity{Provider: provider, Subject: prof.Subject, UserID: u.ID, Email: email})
	if err != nil && !errors.Is(err, spidergo.ErrIdentityLinked) {
		return nil, err
	}
	return u, nil
}
