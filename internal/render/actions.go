package render

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// keyNames maps the DOM key names ("Enter", "ArrowDown", lower-cased) to
// the runes chromedp's keyboard tables use.
var keyNames = func() map[string]rune {
	m := map[string]rune{"space": ' ', "esc": '\u001b', "return": '\r'}
	for r, k := range kb.Keys {
		if len([]rune(k.Key)) > 1 {
			if _, taken := m[strings.ToLower(k.Key)]; !taken {
				m[strings.ToLower(k.Key)] = r
			}
		}
	}
	return m
}()

// keyFor returns the key to press for a name ("Enter", "Tab") or a single
// character ("a").
func keyFor(name string) (string, bool) {
	if rs := []rune(name); len(rs) == 1 {
		return name, true
	}
	if r, ok := keyNames[strings.ToLower(name)]; ok {
		return string(r), true
	}
	return "", false
}

// KnownKey reports whether a press action can send the key name: a DOM
// key name ("Enter", "Tab", "ArrowDown") or a single character.
func KnownKey(name string) bool {
	_, ok := keyFor(name)
	return ok
}

func describe(a Action) string {
	switch {
	case a.Selector != "":
		return fmt.Sprintf("%s %q", a.Type, a.Selector)
	case a.Key != "":
		return fmt.Sprintf("%s %q", a.Type, a.Key)
	}
	return a.Type
}

// act runs one action.
func (t *tab) act(a Action, res *Result) error {
	ctx := t.ctx
	maxWait := t.b.cfg.MaxWait
	switch a.Type {
	case ActionWait:
		if a.Selector != "" {
			return t.waitSelector(a.Selector)
		}
		return sleep(ctx, min(time.Duration(a.Milliseconds)*time.Millisecond, maxWait))
	case ActionClick:
		cctx, cancel := context.WithTimeout(ctx, maxWait)
		defer cancel()
		if err := chromedp.Do(cctx, chromedp.Click(chromedp.CSS(a.Selector))); err != nil {
			return err
		}
		// A click often starts requests or a navigation: let it settle.
		t.waitIdle(t.b.cfg.IdleWait)
		return nil
	case ActionWrite:
		if a.Selector != "" {
			cctx, cancel := context.WithTimeout(ctx, maxWait)
			defer cancel()
			if err := chromedp.Do(cctx, chromedp.Focus(chromedp.CSS(a.Selector))); err != nil {
				return err
			}
		}
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: a.Text})
		return err
	case ActionPress:
		k, _ := keyFor(a.Key)
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			return err
		}
		t.waitIdle(t.b.cfg.IdleWait)
		return nil
	case ActionScroll:
		return t.scroll(a)
	case ActionExecuteJavaScript:
		if !t.b.cfg.ExecuteJavaScript {
			return fmt.Errorf("execute_javascript is off on this server (SPIDERGO_RENDER_EXECUTE_JAVASCRIPT)")
		}
		// The tab's context carries the page deadline: a script that never
		// ends fails the render when it passes. A promise is awaited; the
		// result is discarded.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](a.Script, chromedp.EvalAwaitPromise)); err != nil {
			return err
		}
		t.waitIdle(t.b.cfg.IdleWait)
		return nil
	case ActionScreenshot:
		png, err := t.screenshot(a.FullPage)
		if err != nil {
			return err
		}
		res.Screenshots = append(res.Screenshots, png)
		return nil
	}
	return fmt.Errorf("unknown action type %q", a.Type)
}

// scroll moves the page and waits for what the move loads.
func (t *tab) scroll(a Action) error {
	ctx := t.ctx
	if a.Direction == "bottom" {
		for range t.b.cfg.MaxScrolls {
			h, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const h = document.documentElement.scrollHeight; window.scrollTo(0, h); return h; })()`))
			if err != nil {
				return err
			}
			grew, err := t.waitGrowth(h)
			if err != nil || !grew {
				return err
			}
		}
		return nil
	}
	amount := fmt.Sprint(a.Amount)
	if a.Amount == 0 {
		amount = "window.innerHeight"
	}
	sign := ""
	if a.Direction == "up" {
		sign = "-"
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("window.scrollBy(0, %s(%s))", sign, amount))); err != nil {
		return err
	}
	t.waitIdle(t.b.cfg.IdleWait)
	return nil
}

// screenshot takes a PNG of the viewport, or of the page up to
// MaxPageHeight CSS pixels.
func (t *tab) screenshot(full bool) ([]byte, error) {
	params := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng}
	if full {
		m, err := chromedp.Call(t.ctx, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		w, h := float64(desktopWidth), float64(desktopHeight)
		if m.CSSContentSize != nil {
			w, h = m.CSSContentSize.Width, m.CSSContentSize.Height
		}
		if m.CSSLayoutViewport != nil {
			w = max(w, float64(m.CSSLayoutViewport.ClientWidth))
			h = max(h, float64(m.CSSLayoutViewport.ClientHeight))
		}
		h = min(h, float64(t.b.cfg.MaxPageHeight))
		beyond := true
		params.CaptureBeyondViewport = &beyond
		params.Clip = &page.Viewport{X: 0, Y: 0, Width: w, Height: h, Scale: 1}
	}
	r, err := chromedp.Call(t.ctx, page.CaptureScreenshot, params)
	if err != nil {
		return nil, err
	}
	if len(r.Data) > t.b.cfg.MaxScreenshotBytes {
		return nil, newError(KindScreenshotTooLarge, "", fmt.Errorf("the screenshot is %d bytes, more than %d", len(r.Data), t.b.cfg.MaxScreenshotBytes))
	}
	return r.Data, nil
}

// growthWait is how long a scroll waits for the page to grow before it
// counts as the bottom.
const growthWait = time.Second

// waitGrowth waits until the page is taller than h (lazy content came in)
// or growthWait passes with the network quiet.
func (t *tab) waitGrowth(h float64) (bool, error) {
	deadline := time.Now().Add(growthWait)
	for {
		if err := sleep(t.ctx, 100*time.Millisecond); err != nil {
			return false, err
		}
		now, err := chromedp.Run(t.ctx, chromedp.Evaluate[float64](`document.documentElement.scrollHeight`))
		if err != nil {
			return false, err
		}
		if now > h {
			return true, nil
		}
		if time.Now().After(deadline) {
			t.mu.Lock()
			busy := len(t.inflight) > 0
			t.mu.Unlock()
			if !busy || time.Now().After(deadline.Add(t.b.cfg.IdleWait)) {
				return false, nil
			}
		}
	}
}
