// Package oauth signs users in with Google and GitHub through the OAuth 2.0
// authorization-code flow with PKCE, on golang.org/x/oauth2. It talks only
// to the endpoints it is configured with, so tests point it at a local fake
// provider. It knows nothing of accounts: it turns a callback's code into a
// Profile.
package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Provider is one configured sign-in provider.
type Provider struct {
	Name         string // google or github
	ClientID     string
	ClientSecret string
	AuthURL      string
	TokenURL     string
	UserURL      string
	EmailsURL    string // GitHub: the list of the user's addresses
	RedirectURL  string // our callback
	// Client makes the outbound calls; nil means a client with a timeout.
	Client *http.Client
}

// Names are the providers SpiderGo knows.
var Names = []string{"google", "github"}

// Profile is what SpiderGo learns about a provider's user.
type Profile struct {
	Subject       string // the provider's stable user id
	Email         string
	EmailVerified bool // the provider vouches that the user owns Email
	FirstName     string
	LastName      string
	AvatarURL     string
}

// Error is a failure the provider reported (a refused code, say), as
// opposed to a failure to reach it.
type Error struct{ Msg string }

func (e *Error) Error() string { return "oauth: " + e.Msg }

// maxBody caps what is read from a provider.
const maxBody = 1 << 20

func (p *Provider) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: 15 * time.Second}
}

func (p *Provider) scopes() []string {
	if p.Name == "github" {
		return []string{"read:user", "user:email"}
	}
	return []string{"openid", "email", "profile"}
}

// NewVerifier returns a fresh PKCE code verifier (RFC 7636: 32 random
// bytes, base64url).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// Challenge is the PKCE S256 challenge of verifier.
func Challenge(verifier string) string {
	return oauth2.S256ChallengeFromVerifier(verifier)
}

// config is the provider as golang.org/x/oauth2 sees it. The client
// credentials go in the form rather than in a Basic header: both providers
// accept that, and it spares the library's guess-and-retry, which would
// spend the single-use code on the guess.
func (p *Provider) config() *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: p.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  p.RedirectURL,
		Scopes:       p.scopes(),
	}
}

// AuthCodeURL is where to send the browser to sign in. state is echoed to
// the callback; verifier is the PKCE secret the exchange proves knowledge
// of.
func (p *Provider) AuthCodeURL(state, verifier string) string {
	return p.config().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// Exchange trades the callback's code for an access token.
func (p *Provider) Exchange(ctx context.Context, code, verifier string) (string, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client())
	tok, err := p.config().Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var transport *url.Error
		if errors.As(err, &transport) {
			return "", fmt.Errorf("oauth: %s: %w", p.Name, err)
		}
		// The provider answered, and not with a token: a refused code,
		// an error page, or something that is not a token response.
		return "", &Error{Msg: err.Error()}
	}
	return tok.AccessToken, nil
}

// Profile fetches the signed-in user's profile with an access token.
func (p *Provider) Profile(ctx context.Context, token string) (*Profile, error) {
	if p.Name == "github" {
		return p.githubProfile(ctx, token)
	}
	return p.googleProfile(ctx, token)
}

// flexBool reads a JSON boolean that some endpoints send as a string.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("not a boolean: %s", data)
	}
	*b = flexBool(v)
	return nil
}

func (p *Provider) googleProfile(ctx context.Context, token string) (*Profile, error) {
	var u struct {
		Sub           string   `json:"sub"`
		Email         string   `json:"email"`
		EmailVerified flexBool `json:"email_verified"`
		GivenName     string   `json:"given_name"`
		FamilyName    string   `json:"family_name"`
		Name          string   `json:"name"`
		Picture       string   `json:"picture"`
	}
	if err := p.get(ctx, p.UserURL, token, &u); err != nil {
		return nil, err
	}
	if u.Sub == "" {
		return nil, &Error{Msg: "profile has no subject"}
	}
	prof := &Profile{Subject: u.Sub, Email: u.Email, EmailVerified: bool(u.EmailVerified), FirstName: u.GivenName, LastName: u.FamilyName, AvatarURL: u.Picture}
	if prof.FirstName == "" && prof.LastName == "" {
		prof.FirstName, prof.LastName = SplitName(u.Name)
	}
	return prof, nil
}

func (p *Provider) githubProfile(ctx context.Context, token string) (*Profile, error) {
	var u struct {
		ID        json.Number `json:"id"`
		Login     string      `json:"login"`
		Name      string      `json:"name"`
		AvatarURL string      `json:"avatar_url"`
	}
	if err := p.get(ctx, p.UserURL, token, &u); err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, &Error{Msg: "profile has no id"}
	}
	prof := &Profile{Subject: u.ID.String(), AvatarURL: u.AvatarURL}
	prof.FirstName, prof.LastName = SplitName(u.Name)
	if prof.FirstName == "" {
		prof.FirstName = u.Login
	}
	// The profile's public email is whatever the user typed there; only
	// the emails endpoint says which address GitHub has verified.
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := p.get(ctx, p.EmailsURL, token, &emails); err != nil {
		return nil, err
	}
	for _, e := range emails {
		if e.Primary {
			prof.Email, prof.EmailVerified = e.Email, e.Verified
		}
	}
	return prof, nil
}

func (p *Provider) get(ctx context.Context, endpoint, token string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	status, err := p.do(req, dst)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return &Error{Msg: fmt.Sprintf("%s answered %d", endpoint, status)}
	}
	return nil
}

// do sends req and decodes a JSON answer into dst whatever the status, so
// that error bodies are read too.
func (p *Provider) do(req *http.Request, dst any) (int, error) {
	res, err := p.client().Do(req)
	if err != nil {
		return 0, fmt.Errorf("oauth: %s: %w", p.Name, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return 0, fmt.Errorf("oauth: %s: %w", p.Name, err)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		if res.StatusCode != http.StatusOK {
			return res.StatusCode, nil
		}
		return 0, &Error{Msg: fmt.Sprintf("%s answered something other than JSON", p.Name)}
	}
	return res.StatusCode, nil
}

// SplitName splits a full name at its first space: "Ada King Lovelace"
// gives "Ada" and "King Lovelace".
func SplitName(name string) (first, last string) {
	name = strings.Join(strings.Fields(name), " ")
	first, last, _ = strings.Cut(name, " ")
	return first, last
}

// IsProviderError reports whether err came from the provider refusing,
// rather than from failing to reach it.
func IsProviderError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
