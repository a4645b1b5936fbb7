package server

import (
	"net/http"
	"strconv"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/apikey"
)

// metaOf is the public view of a key: never the key, never its hash.
func metaOf(k *spidergo.APIKey) api.Key {
	return api.Key{
		KeyID:      k.ID,
		Name:       k.Name,
		Prefix:     spidergo.APIKeyPrefix,
		Last4:      k.Last4,
		DailyLimit: k.DailyLimit,
		IsActive:   k.IsActive,
		CreatedAt:  api.At(k.CreatedAt),
		LastUsedAt: api.TimePtr(k.LastUsedAt),
		RevokedAt:  api.TimePtr(k.RevokedAt),
	}
}

// sessionUserID is the signed-in user of a cookie route. requireSession
// guarantees one; refusing here too keeps a mis-mounted route closed.
func sessionUserID(r *http.Request) (string, error) {
	id := userIDFrom(r.Context())
	if id == "" {
		return "", spidergo.Errorf(spidergo.EUNAUTHORIZED, "Sign in first.")
	}
	return id, nil
}

// handleCreateAPIKey: POST /auth/api-keys {name} → 201 with the key, shown
// this once.
func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request) error {
	userID, err := sessionUserID(r)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	k, secret, err := s.keys.Create(r.Context(), userID, in.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, api.CreatedKey{
		Message: "API key created. Store it securely now; it will not be shown again.", APIKey: secret, Meta: metaOf(k)})
}

// handleListAPIKeys: GET /auth/api-keys[?include_revoked=true].
func (s *Server) handleListAPIKeys(w http.ResponseWriter, r *http.Request) error {
	userID, err := sessionUserID(r)
	if err != nil {
		return err
	}
	includeRevoked := false
	if v := r.URL.Query().Get("include_revoked"); v != "" {
		if includeRevoked, err = strconv.ParseBool(v); err != nil {
			return spidergo.Errorf(spidergo.EINVALID, "include_revoked must be true or false.")
		}
	}
	keys, err := s.keys.List(r.Context(), userID, includeRevoked)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, api.Keys{Keys: metasOf(keys)})
}

func metasOf(keys []*spidergo.APIKey) []api.Key {
	out := make([]api.Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, metaOf(k))
	}
	return out
}

// handleRevokeAPIKey: DELETE /auth/api-keys/{id}.
func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	userID, err := sessionUserID(r)
	if err != nil {
		return err
	}
	k, err := s.keys.Revoke(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"message": "API key revoked.", "meta": metaOf(k)})
}

// handleRevokeAllAPIKeys: POST /auth/api-keys/revoke-all → every active
// key of the signed-in user revoked at once, for when one may have leaked.
func (s *Server) handleRevokeAllAPIKeys(w http.ResponseWriter, r *http.Request) error {
	userID, err := sessionUserID(r)
	if err != nil {
		return err
	}
	keys, err := s.keys.RevokeAll(r.Context(), userID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"message": "Every API key of the account is revoked.",
		"revoked": len(keys),
		"keys":    metasOf(keys),
	})
}

// handleAPIKeyUsage: GET /auth/api-keys/{id}/usage → the key's count for
// each of the last UsageDays UTC days, oldest first, zeros included.
func (s *Server) handleAPIKeyUsage(w http.ResponseWriter, r *http.Request) error {
	userID, err := sessionUserID(r)
	if err != nil {
		return err
	}
	u, err := s.keys.Usage(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, usageOf(u))
}

// usageOf is the public view of a key's usage.
func usageOf(u *apikey.Usage) api.KeyUsage {
	out := api.KeyUsage{KeyID: u.Key.ID, DailyLimit: u.Key.DailyLimit, From: u.From, To: u.To, Total: u.Total,
		Days: make([]api.DayUsage, 0, len(u.Days))}
	for _, d := range u.Days {
		out.Days = append(out.Days, api.DayUsage{Day: d.Day, Used: d.Used})
	}
	return out
}

// handleV1Usage: GET /v1/usage (behind the gate, as a read) → this key's
// quota today.
func (s *Server) handleV1Usage(w http.ResponseWriter, r *http.Request) error {
	// The gate has just read the day's count: reading it again would
	// double the route's database work for the same answer.
	g := grantFrom(r.Context())
	k, used := g.Key, g.Used
	now := s.now()
	return writeJSON(w, http.StatusOK, api.Usage{KeyID: k.ID, DailyLimit: k.DailyLimit, UsedToday: used,
		Remaining: max(0, k.DailyLimit-used), ResetsAt: api.At(spidergo.QuotaReset(now))})
}

// handleV1NoRoute answers /v1 paths no route matches, behind the gate so
// that these answers too carry the X-RateLimit headers.
func (s *Server) handleV1NoRoute(w http.ResponseWriter, r *http.Request) error {
	return s.noRoute(w, r)
}
