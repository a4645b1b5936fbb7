package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for the zero values of Config. They are exported so the
// configuration layer and the docs can show them.
const (
	DefaultMaxBodyBytes       = 10 << 20
	DefaultMaxDocumentBytes   = 50 << 20
	DefaultMaxHeaderBytes     = 256 << 10
	DefaultMaxRedirects       = 10
	DefaultTimeout            = 30 * time.Second
	DefaultConnectTimeout     = 10 * time.Second
	DefaultTLSTimeout         = 10 * time.Second
	DefaultHeaderTimeout      = 20 * time.Second
	DefaultPerHostConcurrency = 4
	DefaultMaxRetries         = 2
	DefaultRetryBaseDelay     = 500 * time.Millisecond
	DefaultMaxRetryAfter      = 30 * time.Second
	DefaultRobotsTTL          = time.Hour
	DefaultRobotsErrorTTL     = 10 * time.Minute
	DefaultRobotsCacheSize    = 10000

	// MaxCrawlDelay caps a robots.txt Crawl-delay: a site cannot park a
	// worker for minutes per page.
	MaxCrawlDelay = 30 * time.Second
	// MaxRobotsBytes is how much of a robots.txt is read; RFC 9309 asks
	// crawlers to parse at least 500 KiB and allows ignoring the rest.
	MaxRobotsBytes = 500 << 10
	// sniffLen is how much of a body is read to identify its type; it is
	// also all that is downloaded of a binary answer.
	sniffLen = 512
)

// DefaultPorts are the ports a URL may use unless Config.Ports says
// otherwise.
var DefaultPorts = []int{80, 443, 8080, 8443}

// Resolver resolves host names. *net.Resolver satisfies it; tests supply a
// fake so that no lookup ever leaves the machine.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config configures a Fetcher. The zero value is usable: every zero field
// takes the default named beside it.
type Config struct {
	// UserAgent is sent with every request ("SpiderGo" when empty). The
	// caller builds "SpiderGo/<version> (+<base url>)".
	UserAgent string
	// RobotsAgent is the product token matched against robots.txt
	// User-agent lines. Empty means the part of UserAgent before the first
	// "/" or space, lower-cased ("spidergo").
	RobotsAgent string

	// Allow lists exceptions to the address guard (SPIDERGO_FETCH_ALLOW):
	// CIDRs ("10.1.0.0/16", "fd00::/8", or a bare IP meaning /32 or /128)
	// open every port of those addresses; "host:port" entries
	// ("127.0.0.1:9200", "[::1]:8080", "wiki.intranet:8080") open exactly
	// that port. A host name is resolved when a dial needs it and compared
	// with the dialled IP.
	Allow []string
	// Ports a URL may use (DefaultPorts when nil). Ports of host:port Allow
	// entries are accepted in addition, for their hosts only.
	Ports []int

	// MaxBodyBytes caps a body after decompression (DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxDocumentBytes caps a PDF, DOCX or ODT body fetched with
	// Request.AcceptDocuments (DefaultMaxDocumentBytes); documents are
	// often larger than web pages.
	MaxDocumentBytes int64
	// MaxHeaderBytes caps the response header block (DefaultMaxHeaderBytes).
	MaxHeaderBytes int64
	// MaxRedirects caps redirects per fetch (DefaultMaxRedirects when 0;
	// negative means redirects are not followed at all).
	MaxRedirects int

	// Timeout bounds the network time of one fetch: every exchange, from
	// its first dial to its last body byte, over all redirect hops and
	// retries (DefaultTimeout). Waiting for the per-host limiter and
	// between retries is bounded by the caller's context instead, so
	// politeness never looks like a slow site.
	Timeout time.Duration
	// ConnectTimeout bounds one TCP connect (DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// TLSTimeout bounds the TLS handshake (DefaultTLSTimeout).
	TLSTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers once the request
	// is written (DefaultHeaderTimeout).
	HeaderTimeout time.Duration

	// PerHostConcurrency is the number of requests in flight per host for
	// the in-memory limiter built when Limiter is nil
	// (DefaultPerHostConcurrency).
	PerHostConcurrency int
	// PerHostDelay is the minimum gap between request starts to one host,
	// whatever the limiter. Request.Delay and Crawl-delay can only raise it.
	PerHostDelay time.Duration
	// Limiter shares per-host limits; nil builds
	// NewMemoryLimiter(PerHostConcurrency). Use NewRedisLimiter or
	// NewLeaseLimiter to share them between processes.
	Limiter HostLimiter
	// Observer, when set, is told about every fetch and limiter wait
	// (metrics); nil observes nothing.
	Observer Observer

	// MaxRetries is the number of retries after a 429 or 503 to GET/HEAD
	// (DefaultMaxRetries when 0; negative disables retries).
	MaxRetries int
	// RetryBaseDelay is the first backoff step when no Retry-After is sent
	// (DefaultRetryBaseDelay); each retry doubles it, with jitter.
	RetryBaseDelay time.Duration
	// MaxRetryAfter is the longest Retry-After waited for
	// (DefaultMaxRetryAfter); a longer one ends the retries.
	MaxRetryAfter time.Duration

	// RobotsTTL is how long a fetched robots.txt is trusted
	// (DefaultRobotsTTL).
	RobotsTTL time.Duration
	// RobotsErrorTTL is how long an unreachable robots.txt (5xx, 429,
	// network failure) keeps its host disallowed (DefaultRobotsErrorTTL).
	RobotsErrorTTL time.Duration
	// RobotsCacheSize bounds the number of hosts whose robots.txt is kept
	// (DefaultRobotsCacheSize); the least recently used is dropped first.
	RobotsCacheSize int

	// Resolver resolves host names (net.DefaultResolver when nil).
	Resolver Resolver
	// TLSConfig is cloned for outgoing TLS (private CAs, tests). Nil means
	// the system roots and TLS 1.2 or later.
	TLSConfig *tls.Config
}

// orDefault refuses a negative *v and replaces a zero one with def.
func orDefault[T int | int64 | time.Duration](name string, v *T, def T) error {
	if *v < 0 {
		return fmt.Errorf("fetch: %s must not be negative (got %v)", name, *v)
	}
	if *v == 0 {
		*v = def
	}
	return nil
}

// withDefaults returns cfg with every zero field replaced by its default and
// every field checked; errors name the offending field or entry.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.UserAgent == "" {
		cfg.UserAgent = "SpiderGo"
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n") {
		return cfg, errors.New("fetch: UserAgent must be a single line")
	}
	if cfg.RobotsAgent == "" {
		cfg.RobotsAgent = productToken(cfg.UserAgent)
	}
	cfg.RobotsAgent = strings.ToLower(cfg.RobotsAgent)
	if cfg.Ports == nil {
		cfg.Ports = slices.Clone(DefaultPorts)
	}
	for _, p := range cfg.Ports {
		if p < 1 || p > 65535 {
			return cfg, fmt.Errorf("fetch: port %d in Ports is outside 1-65535", p)
		}
	}
	for _, err := range []error{
		orDefault("Timeout", &cfg.Timeout, DefaultTimeout),
		orDefault("ConnectTimeout", &cfg.ConnectTimeout, DefaultConnectTimeout),
		orDefault("TLSTimeout", &cfg.TLSTimeout, DefaultTLSTimeout),
		orDefault("HeaderTimeout", &cfg.HeaderTimeout, DefaultHeaderTimeout),
		orDefault("RetryBaseDelay", &cfg.RetryBaseDelay, DefaultRetryBaseDelay),
		orDefault("MaxRetryAfter", &cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		orDefault("RobotsTTL", &cfg.RobotsTTL, DefaultRobotsTTL),
		orDefault("RobotsErrorTTL", &cfg.RobotsErrorTTL, DefaultRobotsErrorTTL),
		orDefault("PerHostDelay", &cfg.PerHostDelay, 0),
		orDefault("MaxBodyBytes", &cfg.MaxBodyBytes, DefaultMaxBodyBytes),
		orDefault("MaxDocumentBytes", &cfg.MaxDocumentBytes, DefaultMaxDocumentBytes),
		orDefault("MaxHeaderBytes", &cfg.MaxHeaderBytes, DefaultMaxHeaderBytes),
		orDefault("PerHostConcurrency", &cfg.PerHostConcurrency, DefaultPerHostConcurrency),
		orDefault("RobotsCacheSize", &cfg.RobotsCacheSize, DefaultRobotsCacheSize),
	} {
		if err != nil {
			return cfg, err
		}
	}
	if cfg.MaxRedirects == 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	// A negative MaxRedirects stays negative: redirects are then returned
	// to the caller as they are, not followed.
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	return cfg, nil
}

// productToken returns the robots.txt product token of a User-Agent string:
// "SpiderGo/1.2 (+https://x)" → "spidergo".
func productToken(ua string) string {
	tok := ua
	if i := strings.IndexAny(tok, "/ "); i >= 0 {
		tok = tok[:i]
	}
	tok = strings.ToLower(strings.TrimSpace(tok))
	if tok == "" {
		return "spidergo"
	}
	return tok
}

// allowList is the parsed form of Config.Allow.
type allowList struct {
	prefixes []netip.Prefix          // CIDR entries: every port
	exact    map[netip.AddrPort]bool // IP host:port entries
	names    []*allowName            // name host:port entries
	ports    map[uint16]bool         // every port named by a host:port entry
}

// allowName is a "name:port" entry. Its addresses are looked up lazily and
// cached briefly, so the allow list follows DNS changes of intranet hosts
// without a restart and startup never depends on DNS.
type allowName struct {
	host  string // lower case, no trailing dot
	port  uint16
	cache addrCache
}

// ParseAllow parses SPIDERGO_FETCH_ALLOW: a comma-separated list of CIDRs,
// bare IPs or host:port entries. Blank entries are ignored. It is exported
// so the configuration layer can reject a bad variable at startup with the
// same rules New applies.
func ParseAllow(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		out = append(out, part)
	}
	if _, err := parseAllow(out); err != nil {
		return nil, err
	}
	return out, nil
}

func parseAllow(entries []string) (*allowList, error) {
	al := &allowList{exact: map[netip.AddrPort]bool{}, ports: map[uint16]bool{}}
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("fetch: allow entry %q: %s (want a CIDR such as 10.0.0.0/8, an IP, or host:port such as 127.0.0.1:9200)", raw, why)
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, bad("not a valid CIDR")
			}
			if p.Addr().Zone() != "" {
				return nil, bad("zones are not supported")
			}
			al.prefixes = append(al.prefixes, p.Masked())
			continue
		}
		if ip, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			if ip.Zone() != "" {
				return nil, bad("zones are not supported")
			}
			ip = ip.Unmap()
			al.prefixes = append(al.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
			continue
		}
		host, portStr, err := net.SplitHostPort(e)
		if err != nil {
			return nil, bad("not a CIDR, IP or host:port")
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || port == 0 {
			return nil, bad("port must be 1-65535")
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			if ip.Zone() != "" {
				return nil, bad("zones are not supported")
			}
			al.exact[netip.AddrPortFrom(ip.Unmap(), uint16(port))] = true
			al.ports[uint16(port)] = true
			continue
		}
		name := normalizeHostName(host)
		if !validHostName(name) {
			return nil, bad("host is neither an IP nor a valid host name")
		}
		al.names = append(al.names, &allowName{host: name, port: uint16(port)})
		al.ports[uint16(port)] = true
	}
	return al, nil
}

func normalizeHostName(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// validHostName accepts LDH labels (and underscores, which intranets use);
// IDNs must be written in their xn-- form in the configuration.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}
