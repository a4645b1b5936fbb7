package fetch

import (
	"context"
	"net"
)

// DialContext connects to addr ("host:port") with the same address guard
// Fetch uses: the host is resolved by the fetcher, every resolved address is
// checked at dial time (Config.Allow and Config.Ports apply), and a refused
// address returns an *Error of kind [KindBlockedAddress] without a packet
// being sent. Only "tcp", "tcp4" and "tcp6" are accepted.
//
// It exists for components that must carry other clients' traffic through
// the guard, such as the rendering package's proxy for the headless
// browser; callers fetching pages use Fetch.
func (f *Fetcher) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &Error{Kind: KindBlockedAddress, Err: &net.AddrError{Err: "network not allowed", Addr: network}}
	}
	return f.guard.dialContext(ctx, network, addr)
}
