package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
)

// throttles limit the public account routes in process, per client
// address and per email, so that neither one address nor a botnet aimed at
// one account can guess passwords or codes quickly, or flood a mailbox.
type throttles struct {
	loginIP    *auth.Limiter // sign-in and password change attempts
	loginEmail *auth.Limiter
	registerIP *auth.Limiter
	mailIP     *auth.Limiter // routes that send mail: resend, forgot-password
	mailEmail  *auth.Limiter
	codeIP     *auth.Limiter // routes that check a code or reset token
}

// throttleKeys caps the keys each limiter remembers (a few MB at most).
const throttleKeys = 20_000

func defaultThrottles() throttles {
	return throttles{
		loginIP:    auth.NewLimiter(20, 6*time.Second, throttleKeys),
		loginEmail: auth.NewLimiter(10, 30*time.Second, throttleKeys),
		registerIP: auth.NewLimiter(10, time.Minute, throttleKeys),
		mailIP:     auth.NewLimiter(10, time.Minute, throttleKeys),
		mailEmail:  auth.NewLimiter(3, 5*time.Minute, throttleKeys),
		codeIP:     auth.NewLimiter(20, 6*time.Second, throttleKeys),
	}
}

// throttle takes one attempt from l for key, answering 429 with
// Retry-After when none is left.
func (s *Server) throttle(w http.ResponseWriter, l *auth.Limiter, key string) error {
	ok, wait := l.Allow(key, s.now())
	if ok {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return spidergo.Errorf(spidergo.ETHROTTLED, "Too many attempts; try again in %d seconds.", secs)
}

// throttleIP throttles by the client's address (per /64 for IPv6).
func (s *Server) throttleIP(w http.ResponseWriter, r *http.Request, l *auth.Limiter) error {
	return s.throttle(w, l, auth.AddrKey(s.clientIP(r)))
}

// decodeThrottled counts the request against the client address's limiter,
// before any work is spent on it, then decodes its JSON body into dst.
func (s *Server) decodeThrottled(w http.ResponseWriter, r *http.Request, l *auth.Limiter, dst any) error {
	if err := s.throttleIP(w, r, l); err != nil {
		return err
	}
	return decodeJSON(w, r, dst)
}
