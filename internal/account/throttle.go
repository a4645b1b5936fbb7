package account

import (
	"net/netip"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
)

// Throttle names one of the limiters on the public account routes.
type Throttle int

// The throttles callers count requests against before decoding them.
const (
	LoginAddr Throttle = iota // sign-in and password change attempts per client address
	CodeAddr                  // code and reset-token checks per client address
	MailAddr                  // requests that send mail per client address
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

// ThrottleAddr takes one attempt of kind for the client address (per /64
// for IPv6). Callers count a request before spending any work on it.
func (s *Service) ThrottleAddr(kind Throttle, addr netip.Addr) error {
	l := map[Throttle]*auth.Limiter{LoginAddr: s.limits.loginIP, CodeAddr: s.limits.codeIP, MailAddr: s.limits.mailIP}[kind]
	return s.throttle(l, auth.AddrKey(addr))
}

// throttle takes one attempt from l for key; none left is ETHROTTLED with
// the wait in RetryAfter.
func (s *Service) throttle(l *auth.Limiter, key string) error {
	ok, wait := l.Allow(key, s.now())
	if ok {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	e := spidergo.Errorf(spidergo.ETHROTTLED, "Too many attempts; try again in %d seconds.", secs)
	e.RetryAfter = time.Duration(secs) * time.Second
	return e
}
