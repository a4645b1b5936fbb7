package extract

import "strings"

// Robots are the robots directives that apply to SpiderGo for one page, from
// the page's <meta name="robots"> and <meta name="spidergo"> tags and from
// the X-Robots-Tag header values the caller passes in
// Options.RobotsHeaders. Extraction only reports them: the content is always
// extracted, and the caller decides what to do with a page that asks not to
// be indexed (a scrape returns it; a crawl may be told to drop it) or not to
// have its links followed.
type Robots struct {
	// NoIndex: the page asks not to be indexed ("noindex" or "none").
	NoIndex bool `json:",omitempty"`
	// NoFollow: the page asks that its links not be followed ("nofollow"
	// or "none").
	NoFollow bool `json:",omitempty"`
}

// Directives lists the directives in force as the API reports them on a
// page: "noindex", "nofollow", both, or none (nil).
func (r Robots) Directives() []string {
	var out []string
	if r.NoIndex {
		out = append(out, "noindex")
	}
	if r.NoFollow {
		out = append(out, "nofollow")
	}
	return out
}

// apply adds the directives of one comma- or space-separated list.
func (r *Robots) apply(list string) {
	for _, d := range strings.FieldsFunc(strings.ToLower(list), func(c rune) bool { return c == ',' || c == ' ' || c == ';' || c == '\t' }) {
		switch d {
		case "noindex":
			r.NoIndex = true
		case "nofollow":
			r.NoFollow = true
		case "none":
			r.NoIndex, r.NoFollow = true, true
		}
	}
}

// valuedDirectives are X-Robots-Tag directives written "name: value"; any
// other "name:" prefix names the crawler the rest of the header is for.
var valuedDirectives = map[string]bool{
	"unavailable_after": true, "max-snippet": true, "max-image-preview": true, "max-video-preview": true,
}

// applyHeader adds the directives of one X-Robots-Tag header value. A value
// may be addressed to one crawler ("otherbot: noindex"); such values count
// only when addressed to SpiderGo. "unavailable_after: <date>" and the
// max-* directives carry values and are not crawler names.
func (r *Robots) applyHeader(v string) {
	v = strings.TrimSpace(v)
	if name, rest, ok := strings.Cut(v, ":"); ok {
		name = strings.ToLower(strings.TrimSpace(name))
		if !valuedDirectives[name] && !strings.ContainsAny(name, ", ") {
			if name != "spidergo" {
				return
			}
			v = rest
		}
	}
	r.apply(v)
}

// robots reads the page's robots meta tags and the caller's X-Robots-Tag
// header values.
func (p *page) robots(headers []string) Robots {
	var r Robots
	for _, m := range p.metas {
		if m.key == "robots" || m.key == "spidergo" {
			r.apply(m.content)
		}
	}
	for _, h := range headers {
		r.applyHeader(h)
	}
	return r
}
