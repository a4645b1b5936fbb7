package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
)

// apiKeyMeta is the public view of a key: never the key, never its hash.
// The field order is the integration guide's.
type apiKeyMeta struct {
	KeyID      string  `json:"key_id"`
	Name       string  `json:"name"`
	Prefix     string  `json:"prefix"`
	Last4      string  `json:"last4"`
	DailyLimit int     `json:"daily_limit"`
	IsActive   bool    `json:"is_active"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

func metaOf(k *spidergo.APIKey) apiKeyMeta {
	return apiKeyMeta{
		KeyID:      k.ID,
		Name:       k.Name,
		Prefix:     spidergo.APIKeyPrefix,
		Last4:      k.Last4,
		DailyLimit: k.DailyLimit,
		IsActive:   k.IsActive,
		CreatedAt:  k.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt: optionalTime(k.LastUsedAt),
		RevokedAt:  optionalTime(k.RevokedAt),
	}
}

// optionalTime is null in JSON for a zero time.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
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
	return writeJSON(w, http.StatusCreated, struct {
		Message string     `json:"message"`
		APIKey  string     `json:"api_key"`
		Meta    apiKeyMeta `json:"meta"`
	}{"API key created. Store it securely now; it will not be shown again.", secret, metaOf(k)})
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
	return writeJSON(w, http.StatusOK, map[string]any{"keys": metasOf(keys)})
}

func metasOf(keys []*spidergo.APIKey) []apiKeyMeta {
	out := make([]apiKeyMeta, 0, len(keys))
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

// dayUsage is one bar of the dashboard's usage chart.
type dayUsage struct {
	Day  string `json:"day"`
	Used int    `json:"used"`
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
	days := make([]dayUsage, 0, len(u.Days))
	for _, d := range u.Days {
		days = append(days, dayUsage{Day: d.Day, Used: d.Used})
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"key_id":      u.Key.ID,
		"daily_limit": u.Key.DailyLimit,
		"from":        u.From,
		"to":          u.To,
		"total":       u.Total,
		"days":        days,
	})
}

// handleV1Usage: GET /v1/usage (behind the gate, as a read) → this key's
// quota today.
func (s *Server) handleV1Usage(w http.ResponseWriter, r *http.Request) error {
	// The gate has just read the day's count: reading it again would
	// double the route's database work for the same answer.
	g := grantFrom(r.Context())
	k, used := g.Key, g.Used
	now := s.now()
	return writeJSON(w, http.StatusOK, map[string]any{
		"key_id":      k.ID,
		"daily_limit": k.DailyLimit,
		"used_today":  used,
		"remaining":   max(0, k.DailyLimit-used),
		"resets_at":   spidergo.QuotaReset(now).Format(time.RFC3339),
	})
}

// handleV1NoRoute answers /v1 paths no route matches, behind the gate so
// that these answers too carry the X-RateLimit headers.
func (s *Server) handleV1NoRoute(w http.ResponseWriter, r *http.Request) error {
	return s.noRoute(w, r)
}
