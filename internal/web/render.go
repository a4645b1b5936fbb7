package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// view is what every page template gets: the layout's parts, a form's
// values and the errors that belong next to its fields, and the page's
// own data in D.
type view struct {
	Title string
	// Nav names the navigation entry of this page.
	Nav  string
	User *api.Profile
	// Flash is a one-line confirmation ("API key revoked.").
	Flash string
	// Error is a message about the whole form or page.
	Error  string
	Values map[string]string
	Errors map[string]string
	Cfg    Config
	D      any
}

func (wb *Web) view(r *http.Request, u *api.Profile, title, nav string) *view {
	v := &view{Title: title, Nav: nav, User: u, Cfg: wb.cfg, Values: map[string]string{}, Errors: map[string]string{}}
	if r != nil {
		v.Flash = flashes[r.URL.Query().Get("done")]
	}
	return v
}

// flashes are the confirmations a redirect may ask for with ?done=; the
// query names one, so no text from a URL is ever shown.
var flashes = map[string]string{
	"signed-up":        "Your account is ready. Sign in to continue.",
	"verify":           "Account created. Enter the code we emailed you to verify your address.",
	"verified":         "Your email address is verified.",
	"password-reset":   "Your password is changed. Sign in with the new one.",
	"password-changed": "Your password is changed. Other browsers were signed out.",
	"key-revoked":      "The API key is revoked. Requests with it are now refused.",
	"keys-revoked":     "Every API key is revoked. Requests with them are now refused.",
	"secret-rotated":   "The webhook secret is replaced. Webhooks are signed with the new one from now on.",
	"job-deleted":      "The job and its pages are deleted.",
	"signed-out":       "You are signed out.",
	"account-deleted":  "Your account, its keys and its history are deleted.",
}

// field is one labelled form input with its error.
type field struct {
	Name, Label, Type, Autocomplete, Value, Error, Hint string
	Required                                            bool
}

var funcs = template.FuncMap{
	// field builds a form field from the view's values and errors.
	"field": func(v *view, name, label, typ, autocomplete string) field {
		f := field{Name: name, Label: label, Type: typ, Autocomplete: autocomplete, Error: v.Errors[name], Required: true}
		if typ != "password" {
			f.Value = v.Values[name]
		}
		return f
	},
	"hint": func(f field, hint string) field { f.Hint = hint; return f },
	"optional": func(f field) field {
		f.Required = false
		return f
	},
	"date":     func(t api.Time) string { return fmtTime(t.Time) },
	"datePtr":  func(t *api.Time) string { return fmtTimePtr(t) },
	"bytes":    fmtBytes,
	"plural":   plural,
	"keyShown": func(k api.Key) string { return spidergo.APIKeyPrefix + "…" + k.Last4 },
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"providerName": providerName,
	"skipped":      fmtSkipped,
	"statusClass": func(s string) string {
		switch s {
		case api.StatusCompleted:
			return "ok"
		case api.StatusFailed, api.StatusCancelled:
			return "bad"
		}
		return "busy"
	},
}

// fmtSkipped lists a job's skipped URLs by reason: "duplicate 2, robots_disallowed 1".
func fmtSkipped(m map[string]int) string {
	reasons := make([]string, 0, len(m))
	for r := range m {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	parts := make([]string, 0, len(m))
	for _, r := range reasons {
		parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(r, "_", " "), m[r]))
	}
	return strings.Join(parts, ", ")
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func fmtTimePtr(t *api.Time) string {
	if t == nil {
		return "never"
	}
	return fmtTime(t.Time)
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func providerName(p string) string {
	switch p {
	case "github":
		return "GitHub"
	case "google":
		return "Google"
	}
	if p == "" {
		return p
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

// parseTemplates parses each page together with the layout and partials.
func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes page name with v. The page is rendered to a buffer first,
// so a template error becomes a clean 500 instead of half a page.
func (wb *Web) render(w http.ResponseWriter, status int, name string, v *view) {
	t, ok := wb.pages[name]
	if !ok {
		wb.log.Error("no such page template", "page", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		wb.log.Error("rendering a page failed", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// redirect answers a form post: 303 See Other, so that reloading the next
// page does not send the form again.
func redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// localPath keeps a ?next= target on this site: a path, never a scheme,
// host or protocol-relative URL.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
