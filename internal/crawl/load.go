package crawl

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/fetch"
	"github.com/spidergo/spidergo/internal/render"
)

// CanRender reports whether the engine has a browser.
func (e *Engine) CanRender() bool { return e.renderer != nil }

// CheckRender refuses options that need a browser when the engine has
// none: a 400 with the reason render_not_installed, naming the option.
func (e *Engine) CheckRender(o *Options) error {
	if name := o.BrowserOption(); name != "" && e.renderer == nil {
		return errNotInstalled(name)
	}
	for i, a := range o.Actions {
		if a.Type != render.ActionExecuteJavaScript {
			continue
		}
		if sr, ok := e.renderer.(render.ScriptRunner); !ok || !sr.ExecutesJavaScript() {
			return &spidergo.Error{Code: spidergo.EINVALID, Reason: ReasonScriptsOff,
				Message: fmt.Sprintf("actions[%d] (\"execute_javascript\"): this server does not run scripts in pages; its operator can allow them with %s=true.", i, render.ExecuteJavaScriptSetting)}
		}
	}
	return nil
}

// ReasonScriptsOff is the reason of the 400 that refuses an
// execute_javascript action on a server that does not allow it.
const ReasonScriptsOff = "execute_javascript_disabled"

func errNotInstalled(option string) *spidergo.Error {
	return &spidergo.Error{Code: spidergo.EINVALID, Reason: render.KindNotInstalled,
		Message: fmt.Sprintf("Option %s needs browser rendering, which is not installed on this server (headless Chromium); use \"render\": \"http\" or \"auto\" without browser options.", option)}
}

// load gets the page over HTTP or in the browser, as the render mode
// says, and records which on p (Rendered, and any screenshots). A rendered
// page comes back as a Response whose body is the rendered DOM, so the
// rest of the pipeline does not tell them apart.
func (e *Engine) load(ctx context.Context, j *Job, p *spidergo.Page) (*fetch.Response, error) {
	o := j.Options
	if o.wantsBrowser() {
		resp, err := e.render(ctx, j, p)
		if fetch.KindOf(err) != fetch.KindUnsupportedContent {
			return resp, err
		}
		// Not a web document (a PDF, JSON…): the fetcher handles those.
		p.Screenshot, p.Screenshots = "", nil
	}
	p.Rendered = RenderHTTP
	resp, err := e.fetcher.Fetch(ctx, fetch.Request{URL: p.URL, Header: o.Header, RespectRobots: o.RespectRobots, Delay: o.Delay, Timeout: o.Timeout, AcceptDocuments: e.acceptsDocuments(o)})
	if err != nil || resp == nil || o.Render != RenderAuto || e.renderer == nil || !render.NeedsBrowser(resp.Body, resp.ContentType) {
		return resp, err
	}
	rresp, rerr := e.render(ctx, j, p)
	switch render.KindOf(rerr) {
	case "", fetch.KindHTTP4xx, fetch.KindHTTP5xx, render.KindWaitFor, render.KindActionFailed:
		if rresp != nil {
			// The browser reports no headers; the HTTP answer's are the
			// same URL's (X-Robots-Tag).
			rresp.Header = resp.Header
		}
		return rresp, rerr
	}
	// The browser failed where HTTP did not: keep the HTTP answer.
	p.Rendered, p.Screenshot, p.Screenshots = RenderHTTP, "", nil
	return resp, nil
}

// render loads the page in the browser.
func (e *Engine) render(ctx context.Context, j *Job, p *spidergo.Page) (*fetch.Response, error) {
	o := j.Options
	p.Rendered = RenderBrowser
	if e.renderer == nil {
		return nil, errNotInstalled(o.BrowserOption())
	}
	res, err := e.renderer.Render(ctx, render.Request{
		URL: p.URL, Header: o.Header, RespectRobots: o.RespectRobots, Delay: o.Delay, Group: j.ID,
		WaitFor: o.WaitFor, Wait: o.Wait, Actions: o.Actions, Mobile: o.Mobile,
		Screenshot: o.Screenshot, FullPage: o.ScreenshotFullPage, Timeout: o.Timeout,
	})
	if res == nil {
		return nil, err
	}
	shots := res.Screenshots
	if o.Screenshot && len(shots) > countShots(o.Actions) {
		p.Screenshot = pngDataURL(shots[len(shots)-1])
		shots = shots[:len(shots)-1]
	}
	for _, s := range shots {
		p.Screenshots = append(p.Screenshots, pngDataURL(s))
	}
	resp := &fetch.Response{
		URL: p.URL, FinalURL: res.FinalURL, StatusCode: res.StatusCode, ContentType: res.ContentType,
		Body: []byte(res.HTML), PayloadSize: int64(len(res.HTML)), Duration: res.Timing.Total - res.Timing.Queued,
		FetchedAt: e.now(), Header: http.Header{},
	}
	if resp.FinalURL == "" {
		resp.FinalURL = p.URL
	}
	if resp.ContentType == "" || isHTML(resp.ContentType) {
		// The DOM is serialized as UTF-8 HTML whatever the page was sent as.
		resp.ContentType, resp.Charset = "text/html", "utf-8"
	}
	return resp, err
}

func countShots(actions []render.Action) int {
	n := 0
	for _, a := range actions {
		if a.Type == render.ActionScreenshot {
			n++
		}
	}
	return n
}

func pngDataURL(png []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}

// errorKind is the page's Error for a failed load.
func errorKind(err error) string {
	var se *spidergo.Error
	if errors.As(err, &se) && se.Reason != "" {
		return se.Reason
	}
	var re *render.Error
	if errors.As(err, &re) {
		return re.Kind
	}
	return fetch.KindOf(err)
}

// errorDetail is the page's ErrorDetail for a failed load: one sentence,
// no internals.
func errorDetail(err error) string {
	var se *spidergo.Error
	if errors.As(err, &se) {
		return se.Message
	}
	var re *render.Error
	if !errors.As(err, &re) {
		return fetch.Detail(err)
	}
	switch re.Kind {
	case render.KindNotInstalled:
		return "Browser rendering is not installed on this server."
	case render.KindWaitFor:
		return "The wait_for selector did not appear in time; the page is given as it was."
	case render.KindActionFailed:
		return fmt.Sprintf("Action %d failed (%v); the page is given as it was.", re.Action, re.Err)
	case render.KindDownloadRefused:
		return "The page started a download, which the browser refuses."
	case render.KindScreenshotTooLarge:
		return "The screenshot is larger than this server allows; try without screenshot_full_page."
	case render.KindTooLarge:
		return "The rendered page is larger than this server allows."
	case render.KindTimeout:
		return "The page did not finish rendering within the timeout."
	case render.KindInvalidRequest:
		return fmt.Sprintf("The browser options are unusable: %v.", re.Err)
	case render.KindCanceled:
		return "The job was stopped while this page was rendering."
	}
	return "The browser failed to render this page."
}
