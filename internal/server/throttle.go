package server

import (
	"net/http"

	"github.com/spidergo/spidergo/internal/account"
)

// decodeThrottled counts the request against the client address's
// throttle, before any work is spent on it, then decodes its JSON body
// into dst.
func (s *Server) decodeThrottled(w http.ResponseWriter, r *http.Request, kind account.Throttle, dst any) error {
	if err := s.accounts.ThrottleAddr(kind, s.clientIP(r)); err != nil {
		return err
	}
	return decodeJSON(w, r, dst)
}
