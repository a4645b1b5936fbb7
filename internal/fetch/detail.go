package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	werrors "github.com/nlnwa/whatwg-url/errors"
)

// Detail returns one sentence a user can read about err: the host, the
// status, what was refused and why, without the internals of the parser,
// the dialer or the TLS stack (those stay in err for logs). It returns ""
// for nil and for errors that carry no *Error.
func Detail(err error) string {
	var fe *Error
	if !errors.As(err, &fe) {
		return ""
	}
	if fe.detail != "" {
		return fe.detail
	}
	host := hostOf(fe.URL)
	switch fe.Kind {
	case KindBlockedAddress:
		return blockedDetail(fe, host)
	case KindInvalidURL:
		return fmt.Sprintf("URL %q is not a valid URL.", fe.URL)
	case KindDNSError:
		return fmt.Sprintf("The host name %s could not be resolved.", host)
	case KindConnectError:
		return fmt.Sprintf("Could not connect to %s, or the connection broke before a complete answer.", host)
	case KindTLSError:
		return fmt.Sprintf("The secure connection to %s failed: its certificate is not trusted or does not match, or the TLS handshake failed.", host)
	case KindTimeout:
		return fmt.Sprintf("The server at %s did not answer in time.", host)
	case KindTooLarge:
		return fmt.Sprintf("The answer of %s is larger than this server accepts.", host)
	case KindTooManyRedirects:
		return fmt.Sprintf("The server at %s redirected too many times.", host)
	case KindRobotsDisallowed:
		if fe.Err != nil && strings.HasPrefix(fe.Err.Error(), "robots.txt answered ") {
			// "robots.txt answered 503; the host is treated as disallowed for now"
			return fmt.Sprintf("The robots.txt of %s %s.", host, strings.TrimPrefix(fe.Err.Error(), "robots.txt "))
		}
		return fmt.Sprintf("The robots.txt of %s does not allow SpiderGo to fetch this page.", host)
	case KindUnsupportedContent:
		if fe.ContentType != "" {
			return fmt.Sprintf("The server at %s answered with %s, which is not text.", host, fe.ContentType)
		}
		return fmt.Sprintf("The server at %s answered with content that is not text.", host)
	case KindHTTP4xx, KindHTTP5xx:
		return fmt.Sprintf("The server at %s answered %d %s.", host, fe.StatusCode, http.StatusText(fe.StatusCode))
	case KindInvalidRequest:
		if fe.Err != nil {
			return "The request cannot be sent: " + fe.Err.Error() + "."
		}
		return "The request cannot be sent."
	case KindCanceled:
		return "The job was stopped before this page was fetched."
	}
	return fmt.Sprintf("Fetching %s failed.", host)
}

func blockedDetail(fe *Error, host string) string {
	if fe.refusedPort != 0 {
		return fmt.Sprintf("Port %d is not allowed; this server fetches only ports %s.", fe.refusedPort, joinPorts(fe.allowedPorts))
	}
	why := fe.why
	switch {
	case why == "":
		return fmt.Sprintf("The address of %s is one this server does not fetch (private, loopback or otherwise reserved).", host)
	case strings.HasPrefix(why, "special-purpose"), strings.HasPrefix(why, "NAT64 of a special-purpose"):
		why = "reserved for special use"
	case strings.HasPrefix(why, "an IPv4-mapped"):
		why = "an IPv4 address written as IPv6"
	case strings.HasPrefix(why, "in 0.0.0.0/8"):
		why = "in 0.0.0.0/8"
	}
	if host != "" && host != fe.addr && host != "["+fe.addr+"]" {
		return fmt.Sprintf("The host name %s resolves to %s, which is %s; this server does not fetch such addresses.", host, fe.addr, why)
	}
	return fmt.Sprintf("The address %s is %s; this server does not fetch such addresses.", fe.addr, why)
}

func joinPorts(ports []int) string {
	var b strings.Builder
	for i, p := range ports {
		switch {
		case i == 0:
		case i == len(ports)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return "the site"
}

// invalidDetail words why raw is not a usable URL, from the parser's error
// when there is one.
func invalidDetail(raw string, parseErr error) string {
	why := "it cannot be read as a URL"
	switch werrors.Type(parseErr) {
	case werrors.DomainInvalidCodePoint, werrors.HostInvalidCodePoint, werrors.DomainToASCII:
		why = "the host name contains a character host names may not hold"
		if strings.ContainsAny(hostPart(raw), " \t") {
			why = "the host name contains a space"
		}
	case werrors.HostMissing:
		why = "it has no host name"
	case werrors.PortInvalid, werrors.PortOutOfRange, werrors.PortMissing:
		why = "its port is not a number from 1 to 65535"
	case werrors.IPv4EmptyPart, werrors.IPv4TooManyParts, werrors.IPv4NonNumericPart, werrors.IPv4OutOfRangePart,
		werrors.IPv6Unclosed, werrors.IPv6InvalidCompression, werrors.IPv6TooManyPieces, werrors.IPv6MultipleCompression,
		werrors.IPv6InvalidCodePoint, werrors.IPv6TooFewPieces:
		why = "its host is not a valid IP address"
	}
	return fmt.Sprintf("URL %q is not a valid URL: %s.", truncateForError(raw), why)
}

// hostPart is the part of raw between "://" and the next "/", "?" or "#".
func hostPart(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		raw = raw[i+3:]
	}
	if i := strings.IndexAny(raw, "/?#"); i >= 0 {
		raw = raw[:i]
	}
	return raw
}
