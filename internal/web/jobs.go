package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/spidergo/spidergo/api"
)

// historyPageSize and jobPageSize are how many jobs and pages one screen
// shows.
const (
	historyPageSize = 20
	jobPageSize     = 10
)

// cursorTrail keeps the cursors that led to this screen, so that "Newer"
// can go back: ?cursor=c3&back=c1&back=c2.
func cursorTrail(q url.Values) (cursor string, back []string) {
	return q.Get("cursor"), q["back"]
}

// pageLink is the link to the screen at cursor with the trail back.
func pageLink(base, cursor string, back []string) string {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	for _, b := range back {
		q.Add("back", b)
	}
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// pager links a screen to its neighbours. Cursors only go forward, so the
// link to the older screen carries the trail of cursors back.
type pager struct {
	Newer, Older string
}

func makePager(base, cursor string, back []string, next string) pager {
	p := pager{}
	if cursor != "" {
		prev := ""
		if len(back) > 0 {
			prev = back[len(back)-1]
			p.Newer = pageLink(base, prev, back[:len(back)-1])
		} else {
			p.Newer = base
		}
	}
	if next != "" {
		p.Older = pageLink(base, next, append(append([]string{}, back...), cursor))
	}
	return p
}

func (wb *Web) history(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	cursor, back := cursorTrail(r.URL.Query())
	h, err := wb.b.History(r, cursor, historyPageSize)
	if err != nil {
		return err
	}
	v := wb.view(r, u, "History", "history")
	v.D = struct {
		Jobs  []*api.Envelope
		Pager pager
	}{h.Jobs, makePager("/jobs", cursor, back, h.Next)}
	wb.render(w, http.StatusOK, "history", v)
	return nil
}

// jobPage is one page of a job's results as the job page shows it.
type jobPage struct {
	N        int
	P        *api.Page
	Markdown template.HTML
}

func (wb *Web) job(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	cursor, back := cursorTrail(r.URL.Query())
	j, err := wb.b.Job(r, r.PathValue("id"), cursor, jobPageSize)
	if err != nil {
		return err
	}
	start, _ := strconv.Atoi(cursor)
	pages := make([]jobPage, 0, len(j.Pages))
	for i, p := range j.Pages {
		jp := jobPage{N: start + i + 1, P: p}
		if p.Markdown != "" {
			jp.Markdown = wb.md.HTML(p.Markdown)
		}
		pages = append(pages, jp)
	}
	v := wb.view(r, u, "Job "+j.CRID, "history")
	v.D = struct {
		Job     *api.Envelope
		Pages   []jobPage
		Pager   pager
		Running bool
	}{j, pages, makePager("/jobs/"+url.PathEscape(j.CRID), cursor, back, j.Next),
		j.Status == api.StatusQueued || j.Status == api.StatusRunning}
	wb.render(w, http.StatusOK, "job", v)
	return nil
}

func (wb *Web) deleteJobForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	j, err := wb.b.Job(r, r.PathValue("id"), "", 1)
	if err != nil {
		return err
	}
	v := wb.view(r, u, "Delete this job?", "history")
	text := "The " + j.Kind + " of " + j.URL + " and its " + plural(j.TotalPages, "page", "pages") + " will be deleted. This cannot be undone."
	if j.Status == api.StatusQueued || j.Status == api.StatusRunning {
		text = "The " + j.Kind + " of " + j.URL + " is still running: it will be stopped, then deleted with its pages. This cannot be undone."
	}
	v.D = confirmData{Text: text, Action: "/jobs/" + url.PathEscape(j.CRID) + "/delete", Button: "Delete the job", Cancel: "/jobs/" + url.PathEscape(j.CRID)}
	wb.render(w, http.StatusOK, "confirm", v)
	return nil
}

func (wb *Web) deleteJob(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	if err := wb.b.DeleteJob(w, r, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/jobs?done=job-deleted")
}

func (wb *Web) cancelJob(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	id := r.PathValue("id")
	if err := wb.b.CancelJob(w, r, id); err != nil {
		return err
	}
	return redirect(w, r, "/jobs/"+url.PathEscape(id))
}

func (wb *Web) playground(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	v := wb.view(r, u, "Playground", "playground")
	v.D = struct{ Formats []string }{playgroundFormats}
	wb.render(w, http.StatusOK, "playground", v)
	return nil
}

// playgroundFormats are the formats the playground offers; the first four
// are the API's defaults and start ticked.
var playgroundFormats = []string{"markdown", "text", "links", "metadata", "html", "images", "products", "structured_data"}

// quickStart fills the integration guide's snippets with this server's URL.
func (wb *Web) quickStart(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	v := wb.view(r, u, "Quick start", "quickstart")
	v.D = snippets(wb.cfg.BaseURL)
	wb.render(w, http.StatusOK, "quickstart", v)
	return nil
}
