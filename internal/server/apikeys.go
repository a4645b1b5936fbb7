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
	k, secret, err := spidergo.NewAPIKey(userID, in.Name, s.cfg.APIKeyDailyLimit)
	if err != nil {
		return err
	}
	if err := s.store.CreateAPIKey(r.Context(), k, s.cfg.APIKeyMaxPerUser); err != nil {
		return err
	}
	s.log.Info("API key created", "request_id", requestID(r.Context()), "user_id", userID, "key_id", k.ID, "last4", k.Last4)
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
	keys, err := s.store.ListAPIKeys(r.Context(), userID, includeRevoked)
	if err != nil {
		return err
	}
	out := make([]apiKeyMeta, 0, len(keys))
	for _, k := range keys {
		out = append(out, metaOf(k))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

// handleRevokeAPIKey: DELETE /auth/api-keys/{id}. The next request with the
// key is refused: the gate reads the key's state from the store on every
// request, with no cache to outlive the revocation.
func (s *Server) handleRevokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	userID, err := sessionUserID(r)
	if err != nil {
		return err
	}
	k, err := s.store.RevokeAPIKey(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		return keyNotFound(err)
	}
	s.log.Info("API key revoked", "request_id", requestID(r.Context()), "user_id", userID, "key_id", k.ID, "last4", k.Last4)
	return writeJSON(w, http.StatusOK, map[string]any{"message": "API key revoked.", "meta": metaOf(k)})
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
	k, err := s.store.APIKeyByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return keyNotFound(err)
	}
	if k.UserID != userID {
		// The same answer as for an unknown id: one user cannot even
		// learn that another's key exists.
		return keyNotFound(spidergo.ErrNotFound)
	}
	today := s.now().UTC()
	from := spidergo.QuotaDay(today.AddDate(0, 0, -(spidergo.UsageDays - 1)))
	to := spidergo.QuotaDay(today)
	counts, err := s.keys.quota.QuotaUsage(r.Context(), k.ID, from, to)
	if err != nil {
		return quotaUnavailable(err)
	}
	byDay := make(map[string]int, len(counts))
	for _, c := range counts {
		byDay[c.Day] = c.Used
	}
	days := make([]dayUsage, 0, spidergo.UsageDays)
	total := 0
	for i := spidergo.UsageDays - 1; i >= 0; i-- {
		d := spidergo.QuotaDay(today.AddDate(0, 0, -i))
		days = append(days, dayUsage{Day: d, Used: byDay[d]})
		total += byDay[d]
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"key_id":      k.ID,
		"daily_limit": k.DailyLimit,
		"from":        from,
		"to":          to,
		"total":       total,
		"days":        days,
	})
}

func keyNotFound(err error) error {
	if spidergo.ErrorCode(err) == spidergo.ENOTFOUND {
		return spidergo.Errorf(spidergo.ENOTFOUND, "No such API key.")
	}
	return err
}

// handleV1Usage: GET /v1/usage (behind the gate, as a read) → this key's
// quota today.
func (s *Server) handleV1Usage(w http.ResponseWriter, r *http.Request) error {
	k := keyFrom(r.Context())
	now := s.now()
	used, err := s.keys.quota.QuotaUsed(r.Context(), k.ID, spidergo.QuotaDay(now))
	if err != nil {
		return quotaUnavailable(err)
	}
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
