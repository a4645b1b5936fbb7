package account

import (
	"log/slog"
	"net/netip"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/auth"
	"github.com/spidergo/spidergo/internal/outage"
)

// Throttle names one of the limiters on the public account routes.
type Throttle int

// The throttles callers count requests against before decoding them.
const (
	LoginAddr Throttle = iota // sign-in and password change attempts per client address
	CodeAddr                  // code and reset-token checks per client address
	MailAddr                  // requests that send mail per client address
)

// throttles limit the public account routes per client address and per
// email, so that neither one address nor a botnet aimed at one account can
// guess passwords or codes quickly, or flood a mailbox. They live in
// Redis when it is configured, else in the database when it is shared
// (PostgreSQL), else in process memory; see newThrottles for outages.
type throttles struct {
	loginIP    auth.Allower // sign-in and password change attempts
	loginEmail auth.Allower
	registerIP auth.Allower
	mailIP     auth.Allower // routes that send mail: resend, forgot-password
	mailEmail  auth.Allower
	codeIP     auth.Allower // routes that check a code or reset token
}

// throttleKeys caps the keys each in-process limiter remembers (a few MB
// at most).
const throttleKeys = 20_000

// newThrottles builds each throttle as a chain: Redis when configured,
// then the database when it is shared, then this process. A link that
// does not answer hands over to the next, so while Redis is down the
// database keeps one count for every process; only when no shared store
// answers does each process count alone, at auth.StrictLimiter's stricter
// limit. Without any shared store (SQLite, one process) the process's
// count is the whole count and keeps the full limit.
func newThrottles(cfg Config, log *slog.Logger) throttles {
	redisHealth, limitsHealth := cfg.RedisHealth, cfg.LimitsHealth
	if redisHealth == nil {
		redisHealth = outage.New("redis", "throttles fall back", log)
	}
	if limitsHealth == nil {
		limitsHealth = outage.New("database (shared limits)", "throttles count in this process at a stricter limit", log)
	}
	limiter := func(name string, burst int, every time.Duration) auth.Allower {
		if cfg.Redis == nil && cfg.Limits == nil {
			return auth.NewLimiter(burst, every, throttleKeys)
		}
		prefix := "spidergo:throttle:" + name + ":"
		var l auth.Allower = auth.StrictLimiter(burst, every, throttleKeys)
		if cfg.Limits != nil {
			l = auth.NewStoreLimiter(cfg.Limits, prefix, burst, every, l, limitsHealth)
		}
		if cfg.Redis != nil {
			l = auth.NewStoreLimiter(auth.RedisThrottles{Client: cfg.Redis}, prefix, burst, every, l, redisHealth)
		}
		return l
	}
	return throttles{
		loginIP:    limiter("login-ip", 20, 6*time.Second),
		loginEmail: limiter("login-email", 10, 30*time.Second),
		registerIP: limiter("register-ip", 10, time.Minute),
		mailIP:     limiter("mail-ip", 10, time.Minute),
		mailEmail:  limiter("mail-email", 3, 5*time.Minute),
		codeIP:     limiter("code-ip", 20, 6*time.Second),
	}
}

// ThrottleAddr takes one attempt of kind for the client address (per /64
// for IPv6). Callers count a request before spending any work on it.
func (s *Service) ThrottleAddr(kind Throttle, addr netip.Addr) error {
	l := map[Throttle]auth.Allower{LoginAddr: s.limits.loginIP, CodeAddr: s.limits.codeIP, MailAddr: s.limits.mailIP}[kind]
	return s.throttle(l, auth.AddrKey(addr))
}

// throttle takes one attempt from l for key; none left is ETHROTTLED with
// the wait in RetryAfter.
func (s *Service) throttle(l auth.Allower, key string) error {
	ok, wait := l.Allow(key, s.now())
	if ok {
		return nil
	}
	secs := int((wait + time.Second - 1) / time.Second)
	e := spidergo.Errorf(spidergo.ETHROTTLED, "Too many attempts; try again in %d seconds.", secs)
	e.RetryAfter = time.Duration(secs) * time.Second
	return e
}
