package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// nat64Prefix is the well-known NAT64 prefix (RFC 6052). Its addresses
// embed an IPv4 address in the last 32 bits, which must pass the IPv4 rules
// too even when an operator opens the prefix for an IPv6-only network.
var nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")

// guard decides which addresses the fetcher may connect to. It is consulted
// by the dialer's Control function, i.e. on the resolved address about to
// be connected, so no spelling of a URL can get around it.
type guard struct {
	allow    *allowList
	ports    map[uint16]bool
	special  *ssrf.Guardian
	resolver Resolver
	connect  time.Duration
	now      func() time.Time

	// afterGuard, when set, runs after the guard has allowed a dial. Tests
	// use it as a safety net that refuses (and reports) any non-loopback
	// destination, so a guard bug can never send a packet off the machine.
	afterGuard func(network, address string) error
}

func newGuard(cfg Config, al *allowList) *guard {
	ports := make(map[uint16]bool, len(cfg.Ports))
	for _, p := range cfg.Ports {
		ports[uint16(p)] = true
	}
	return &guard{
		allow:    al,
		ports:    ports,
		special:  ssrf.New(ssrf.WithAnyPort(), ssrf.WithAnyNetwork()),
		resolver: cfg.Resolver,
		connect:  cfg.ConnectTimeout,
		now:      time.Now,
	}
}

func blocked(ap netip.AddrPort, format string, args ...any) *Error {
	why := fmt.Sprintf(format, args...)
	return &Error{Kind: KindBlockedAddress, Err: fmt.Errorf("%s: %s", ap, why), addr: ap.Addr().WithZone("").String(), why: why}
}

// portRefused is the refusal of a port, whatever the address.
func (g *guard) portRefused(port uint16, cause error) *Error {
	return &Error{Kind: KindBlockedAddress, Err: cause, refusedPort: port, allowedPorts: g.allowedPorts()}
}

// allowedPorts lists the configured ports in order, for messages.
func (g *guard) allowedPorts() []int {
	out := make([]int, 0, len(g.ports))
	for p := range g.ports {
		out = append(out, int(p))
	}
	slices.Sort(out)
	return out
}

// decide reports whether ap may be dialled. preapproved marks an address
// that matched a host-name allow entry (resolved by the caller, which has a
// context for the lookup).
func (g *guard) decide(ap netip.AddrPort, preapproved bool) *Error {
	a := ap.Addr().WithZone("")
	if !a.IsValid() {
		return blocked(ap, "not an IP address")
	}
	plain := a.Unmap()
	port := ap.Port()
	if preapproved || g.allow.exact[netip.AddrPortFrom(plain, port)] {
		return nil
	}
	byCIDR := g.inAllowedPrefix(plain)
	if !byCIDR {
		if !g.ports[port] {
			return g.portRefused(port, fmt.Errorf("%s: port %d is not allowed", ap, port))
		}
		if why := deniedReason(a); why != "" {
			return blocked(ap, "%s", why)
		}
		if err := g.special.SafeAddr(a); err != nil {
			return blocked(ap, "special-purpose address (%v)", err)
		}
	}
	// NAT64 carries an IPv4 destination; opening the prefix for an
	// IPv6-only network must not open 64:ff9b::7f00:1 (127.0.0.1) too.
	if nat64Prefix.Contains(plain) {
		b := plain.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if !g.inAllowedPrefix(v4) && !g.allow.exact[netip.AddrPortFrom(v4, port)] {
			if why := deniedReason(v4); why != "" {
				return blocked(ap, "NAT64 of %s, which is %s", v4, why)
			}
			if err := g.special.SafeAddr(v4); err != nil {
				return blocked(ap, "NAT64 of a special-purpose address (%v)", err)
			}
		}
	}
	return nil
}

func (g *guard) inAllowedPrefix(a netip.Addr) bool {
	for _, p := range g.allow.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// deniedReason is SpiderGo's own list, checked before the IANA registries
// of code.dny.dev/ssrf so that the common cases get a readable reason and
// the rule does not rest on one library alone.
func deniedReason(a netip.Addr) string {
	switch {
	case a.Is4In6():
		return "an IPv4-mapped IPv6 address"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local (cloud metadata lives here)"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	if a.Is4() {
		b := a.As4()
		switch {
		case b[0] == 0:
			return "in 0.0.0.0/8 (this network)"
		case b[0] == 100 && b[1]&0xc0 == 64:
			return "shared address space (CGNAT 100.64.0.0/10)"
		}
	}
	return ""
}

// control is the net.Dialer Control function: it runs after the socket is
// created and before connect(2), so a refusal sends no packet at all.
func (g *guard) control(preapproved netip.AddrPort) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if network != "tcp4" && network != "tcp6" {
			return &Error{Kind: KindBlockedAddress, Err: fmt.Errorf("network %q is not allowed", network)}
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &Error{Kind: KindBlockedAddress, Err: fmt.Errorf("unparsable dial address %q", address)}
		}
		pre := preapproved.IsValid() && unmapAP(ap) == preapproved
		if e := g.decide(ap, pre); e != nil {
			return e
		}
		if g.afterGuard != nil {
			return g.afterGuard(network, address)
		}
		return nil
	}
}

func unmapAP(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().WithZone("").Unmap(), ap.Port())
}

// dialContext resolves the host itself (so tests can inject a resolver and
// so DNS failures get their own kind) and dials each address in turn with
// the guard as Control. The transport never resolves anything.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &Error{Kind: KindInvalidURL, Err: err}
	}
	port64, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &Error{Kind: KindInvalidURL, Err: fmt.Errorf("bad port %q", portStr)}
	}
	port := uint16(port64)
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &Error{Kind: KindDNSError, Err: err}
		}
		if len(addrs) == 0 {
			return nil, &Error{Kind: KindDNSError, Err: fmt.Errorf("%s has no addresses", host)}
		}
	}
	var blockedErr, dialErr error
	for _, a := range addrs {
		ap := netip.AddrPortFrom(a, port)
		var pre netip.AddrPort
		if g.decide(ap, false) != nil && g.allowedByName(ctx, ap) {
			pre = unmapAP(ap)
		}
		d := net.Dialer{Timeout: g.connect, KeepAlive: 30 * time.Second, Control: g.control(pre)}
		conn, err := d.DialContext(ctx, network, ap.String())
		if err == nil {
			return conn, nil
		}
		var fe *Error
		if errors.As(err, &fe) && fe.Kind == KindBlockedAddress {
			if blockedErr == nil {
				blockedErr = err
			}
		} else if dialErr == nil {
			dialErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	// A real connection failure says more than a refusal of a sibling
	// address; a refusal is reported when nothing else was tried.
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, blockedErr
}

// allowedByName reports whether ap is an address of a host-name allow
// entry for its port. It is only asked when the guard would refuse, so
// ordinary traffic never pays for these lookups.
func (g *guard) allowedByName(ctx context.Context, ap netip.AddrPort) bool {
	plain := unmapAP(ap)
	for _, n := range g.allow.names {
		if n.port != ap.Port() {
			continue
		}
		if slices.Contains(n.cache.get(ctx, g.resolver, n.host, g.now), plain.Addr()) {
			return true
		}
	}
	return false
}

// nameAllowed reports whether host:port is literally a host-name allow
// entry; the dial still compares addresses, this only spares the
// pre-check from refusing a URL the operator opened.
func (g *guard) nameAllowed(host string, port uint16) bool {
	host = normalizeHostName(host)
	for _, n := range g.allow.names {
		if n.host == host && n.port == port {
			return true
		}
	}
	return false
}

// portPossible reports whether a URL on this port could be fetched from
// some address: the configured ports, ports of host:port entries, and any
// port at all when a CIDR entry exists (it opens every port of its range).
func (g *guard) portPossible(port uint16) bool {
	return g.ports[port] || g.allow.ports[port] || len(g.allow.prefixes) > 0
}

// addrCache keeps the resolved addresses of one allow-list host name.
type addrCache struct {
	mu      sync.Mutex
	addrs   []netip.Addr
	expires time.Time
}

const (
	allowNameTTL     = time.Minute
	allowNameFailTTL = 10 * time.Second
)

func (c *addrCache) get(ctx context.Context, r Resolver, host string, now func() time.Time) []netip.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now().Before(c.expires) {
		return c.addrs
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// Remember the failure briefly so a burst of refused dials does not
		// become a burst of lookups.
		c.addrs, c.expires = nil, now().Add(allowNameFailTTL)
		return nil
	}
	c.addrs = c.addrs[:0:0]
	for _, ip := range ips {
		c.addrs = append(c.addrs, ip.WithZone("").Unmap())
	}
	c.expires = now().Add(allowNameTTL)
	return c.addrs
}
