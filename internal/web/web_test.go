package web

import (
	"errors"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/",
		"/keys":                "/keys",
		"/jobs/1?cursor=2":     "/jobs/1?cursor=2",
		"//evil.example/":      "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"keys":                 "/",
		"/a\r\nSet-Cookie: x":  "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormErrorGoesNextToItsField(t *testing.T) {
	for _, tc := range []struct {
		err   error
		field string // "" means above the form
	}{
		{spidergo.Errorf(spidergo.EINVALID, "Password must be at least 8 characters."), "password"},
		{spidergo.Errorf(spidergo.EINVALID, "The password must not contain your email address."), "password"},
		{spidergo.Errorf(spidergo.EINVALID, "Enter a valid email address."), "email"},
		{spidergo.Errorf(spidergo.EINVALID, "first_name must be at most 100 characters."), "first_name"},
		{spidergo.Errorf(spidergo.ECONFLICT, "An account with this email address exists."), "email"},
		{spidergo.Errorf(spidergo.EUNAUTHORIZED, "Invalid email or password."), ""},
		{spidergo.Errorf(spidergo.ETHROTTLED, "Too many attempts with this email; wait a minute."), ""},
		{errors.New("disk on fire"), ""},
	} {
		v := &view{Errors: map[string]string{}}
		v.formError(tc.err, "password", "first_name", "last_name", "email")
		if tc.field == "" {
			if v.Error == "" || len(v.Errors) != 0 {
				t.Errorf("%v: errors %v, form error %q; want it above the form", tc.err, v.Errors, v.Error)
			}
			if v.Error == "disk on fire" {
				t.Error("an internal error's text reached the page")
			}
			continue
		}
		if v.Errors[tc.field] == "" || v.Error != "" {
			t.Errorf("%v: errors %v, form error %q; want it next to %s", tc.err, v.Errors, v.Error, tc.field)
		}
	}
}

func TestUsageChart(t *testing.T) {
	days := make([]api.DayUsage, 30)
	for i := range days {
		days[i] = api.DayUsage{Day: "2026-11-" + string(rune('0'+i/10)) + string(rune('0'+i%10)), Used: i}
	}
	days[29].Used = 37
	svg := string(usageChart("k1", `<Prod & "Co">`, days, 1000))
	if n := strings.Count(svg, `<rect class="bar"`); n != 30 {
		t.Fatalf("%d bars, want 30", n)
	}
	if strings.Contains(svg, `<Prod`) || !strings.Contains(svg, "&lt;Prod &amp;") {
		t.Error("the key's name is not escaped")
	}
	// The axis tops out at 40 for a peak of 37: the tallest bar is nearly
	// the plot's height, and the ticks are whole numbers.
	if !strings.Contains(svg, ">40</text>") || !strings.Contains(svg, ">10</text>") {
		t.Errorf("axis labels: %s", svg)
	}
	if !strings.Contains(svg, "2026-11-29: 37 requests") {
		t.Error("bars lack their tooltips")
	}
	if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<desc") {
		t.Error("the chart has no accessible name and description")
	}
	empty := string(usageChart("k2", "quiet", days[:0], 1000))
	if !strings.Contains(empty, "<svg") || strings.Contains(empty, `class="bar"`) {
		t.Errorf("an empty chart: %s", empty)
	}
}

func TestNiceCeil(t *testing.T) {
	for n, want := range map[int]int{0: 4, 1: 4, 4: 4, 5: 8, 9: 20, 21: 40, 37: 40, 41: 80, 81: 200, 1000: 2000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestSnippetsUseTheBaseURLAndAPlaceholder(t *testing.T) {
	for _, s := range snippets("http://localhost:8080/") {
		if strings.Contains(s.Code, "{{") || strings.Contains(s.Code, "api.spidergo.app") {
			t.Errorf("%s: unfilled or production URL: %s", s.ID, s.Code)
		}
		if !strings.Contains(s.Code, "http://localhost:8080/v1/") && !strings.Contains(s.Code, `"http://localhost:8080"`) {
			t.Errorf("%s: no base URL: %s", s.ID, s.Code)
		}
		if strings.Contains(s.Code, "localhost:8080//") {
			t.Errorf("%s: doubled slash", s.ID)
		}
	}
}

func TestMarkdownIsSanitized(t *testing.T) {
	m := newMarkdown()
	out := string(m.HTML("# Title\n\n<iframe src=//evil></iframe>\n\n[a](javascript:alert(1)) [b](https://example.com) ![i](data:image/svg+xml,x)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
	for _, bad := range []string{"<iframe", "javascript:", "data:image"} {
		if strings.Contains(out, bad) {
			t.Errorf("rendered Markdown keeps %q: %s", bad, out)
		}
	}
	for _, good := range []string{"<h1>Title</h1>", `href="https://example.com"`, `rel="nofollow noreferrer"`, "<table>"} {
		if !strings.Contains(out, good) {
			t.Errorf("rendered Markdown lacks %q: %s", good, out)
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	pages, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"landing", "home", "signup", "signin", "verify", "forgot", "reset-code", "reset-password",
		"account", "delete-account", "keys", "usage", "playground", "history", "job", "quickstart", "confirm", "error"} {
		if pages[name] == nil {
			t.Errorf("no page %q", name)
		}
	}
}
