// Package fetch is SpiderGo's outbound HTTP client: the one place where the
// service talks to the outside world on behalf of a caller. Everything that
// makes that safe and polite lives here, so the crawler and the scrape API
// only decide what to fetch, never how.
//
// The package knows nothing of users, API keys or HTTP handlers. A caller
// builds one [Fetcher] per process with [New] and shares it between every
// job and tenant, because the per-host limits, the robots.txt cache and the
// connection pool are only meaningful when shared.
//
// Typical use:
//
//	f, err := fetch.New(fetch.Config{UserAgent: ua, Allow: allow, Ports: ports})
//	...
//	u, err := f.Check(seed) // before queueing: 400 blocked_address / invalid_url
//	// or f.CheckResolved(ctx, seed), which also refuses a host name whose
//	// every address the guard refuses; fetch.Detail(err) is the sentence
//	// to show the user
//	...
//	resp, err := f.Fetch(ctx, fetch.Request{URL: u.String(), RespectRobots: true, Delay: delay})
//	switch fetch.KindOf(err) {
//	case "":
//		// resp is the page
//	case fetch.KindHTTP4xx, fetch.KindHTTP5xx, fetch.KindUnsupportedContent:
//		// resp is the page too; record the kind as the page's error
//	default:
//		// no page; record the kind
//	}
//
// Compared with the first sketch of this API, Request has Method (GET or
// HEAD) and AcceptGzip (sitemaps), Response has Proto and Charset, and two
// kinds describe the request rather than the target: [KindInvalidRequest]
// and [KindCanceled]. The fetch timeout bounds the time spent talking to
// servers (all hops and retries together) but not the time spent waiting
// for the per-host limiter, so politeness is never reported as a slow site;
// the caller's context bounds the whole call.
//
// # Safety
//
// The address guard runs as the dialer's Control function, that is on the
// address actually being connected to, after DNS resolution and for every
// connection including redirects and robots.txt. Loopback, private, CGNAT,
// link-local (cloud metadata), unique-local, multicast, unspecified,
// broadcast, documentation and benchmarking ranges are refused, as are their
// IPv4-mapped, IPv4-translated, 6to4 and NAT64 forms (code.dny.dev/ssrf
// supplies the IANA special-purpose registries; SpiderGo adds its own
// checks and the allow list on top). Because the check is on the dialled
// address, odd spellings such as 2130706433 or 0x7f.1, names that resolve to
// private addresses, DNS rebinding and redirects into private space are all
// caught by the same rule. [Fetcher.Check] is a cheap pre-check (scheme,
// userinfo, port, literal IP) that lets an API answer 400 before fetching.
//
// Config.Allow (SPIDERGO_FETCH_ALLOW) opens exact exceptions: a CIDR entry
// opens every port of its addresses; a host:port entry opens exactly that
// port. A host:port entry naming a host is resolved when a dial would
// otherwise be refused and compared with the dialled IP and port, so the
// comparison is always on the real destination.
//
// # Limits
//
// Only http and https are fetched, userinfo is refused, redirects are
// followed by hand (at most Config.MaxRedirects, each hop re-checked for
// scheme, port, robots.txt and, at dial time, address), ports are limited
// to Config.Ports, and connect, TLS, response-header and whole-fetch
// deadlines bound the time. Bodies are capped after decompression
// (Config.MaxBodyBytes), so gzip and brotli bombs stop at the cap with
// [KindTooLarge]; response headers are capped by Config.MaxHeaderBytes.
//
// # Content
//
// HTML, text, JSON and XML bodies are returned as UTF-8 (BOM, then the
// Content-Type charset, then <meta charset> or the XML declaration, then
// sniffing). Binary types, PDFs included, are reported with their content
// type and [KindUnsupportedContent] after at most a 512-byte sniff, without
// downloading the rest. Request.AcceptGzip lets sitemap readers receive
// gzip payloads (application/gzip, .xml.gz) decompressed under the same cap.
//
// # Politeness
//
// robots.txt is fetched once per scheme, host and port through the same
// guarded client and cached (Config.RobotsTTL, bounded LRU): 2xx is parsed
// for our user agent's group, 4xx means allow all, 5xx, 429 and network
// failures mean disallow all for Config.RobotsErrorTTL (RFC 9309).
// Crawl-delay is honoured up to 30 seconds. Request.RespectRobots lets a
// caller opt out explicitly.
//
// Every request start goes through a [HostLimiter]: at most N requests in
// flight per host and a minimum gap between starts. The gap for a request is
// the largest of Config.PerHostDelay, Request.Delay and the robots.txt
// Crawl-delay, so a caller can only slow pacing down, never speed it up.
// [NewMemoryLimiter] shares limits inside one process; [NewRedisLimiter]
// and [NewLeaseLimiter] (over a [SlotStore] such as the SQL store) across
// processes; [NewFallbackLimiter] hands over from a shared limiter that
// stops answering to the next one, and [WithMinDelay] applies a floor to
// every delay, for callers (the renderer) that do not go through
// Config.PerHostDelay.
//
// 429 and 503 answers to GET and HEAD are retried at most Config.MaxRetries
// times with exponential backoff and jitter, honouring Retry-After up to
// Config.MaxRetryAfter (a longer Retry-After ends the retries and returns the
// answer). A failed connection is retried once. Nothing else is retried.
//
// [Fetcher.Post] sends a request body (webhook deliveries) through the same
// guard, port rules and deadline; it follows no redirects and retries
// nothing, since POST is not idempotent.
//
// # Errors
//
// Every failure that concerns the target is an [*Error] whose Kind is one of
// the Kind constants; [KindOf] extracts it. An HTTP 4xx or 5xx answer is
// still a page: Fetch returns the [Response] (status, headers, body) together
// with an *Error of kind [KindHTTP4xx] or [KindHTTP5xx]. The kinds are
// classes, matching the API's "http_4xx" examples; the exact status is in
// Error.StatusCode and Response.StatusCode for callers that want "http_404".
// [KindUnsupportedContent] likewise comes with a Response whose ContentType
// is set and whose Body is empty.
package fetch
