package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"time"

	"github.com/spidergo/spidergo/api"
)

// applyBrowser copies the browser and page options of f into req.
func (f *pageFlags) applyBrowser(req *api.Request) error {
	req.WaitFor, req.WaitForMS = f.WaitFor, f.WaitForMS
	req.Mobile, req.ScreenshotFullPage = f.Mobile, f.ScreenshotFullPage
	req.RespectNoindex = f.RespectNoindex
	if f.MaxAge < 0 {
		return usagef("--max-age %s: want a positive duration", f.MaxAge)
	}
	req.MaxAgeMS = int64(f.MaxAge / time.Millisecond)
	if f.Actions != "" {
		actions, err := parseActions(f.Actions)
		if err != nil {
			return err
		}
		req.Actions = actions
	}
	return nil
}

// parseActions reads --actions: a JSON array of api.Action, inline or
// from the file named after an @.
func parseActions(v string) ([]api.Action, error) {
	data := []byte(v)
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, usagef("--actions: %v", err)
		}
		data = b
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var actions []api.Action
	if err := dec.Decode(&actions); err != nil {
		return nil, usagef("--actions: want a JSON array of actions such as [{\"type\":\"click\",\"selector\":\"#more\"}]: %v", err)
	}
	if dec.More() {
		return nil, usagef("--actions: unexpected data after the JSON array")
	}
	if len(actions) == 0 {
		return nil, usagef("--actions: the array holds no action")
	}
	return actions, nil
}

// apply copies the webhook flags into req.
func (w *webhookFlags) apply(req *api.Request) error {
	if w.WebhookURL == "" {
		if len(w.WebhookEvent) > 0 {
			return usagef("--webhook-event needs --webhook-url")
		}
		return nil
	}
	hook := &api.Webhook{URL: w.WebhookURL}
	for _, e := range w.WebhookEvent {
		for _, part := range strings.Split(e, ",") {
			if part = strings.TrimSpace(part); part != "" {
				hook.Events = append(hook.Events, part)
			}
		}
	}
	req.Webhook = hook
	return nil
}

// remoteOnly refuses, in local mode, the options only a server can honour:
// there is no cache, no stored job and no one to post events for.
func remoteOnly(req *api.Request) error {
	switch {
	case req.MaxAgeMS != 0:
		return usagef("--max-age is for remote mode: local mode keeps no cache and always fetches")
	case req.Store != nil:
		return usagef("--no-store is for remote mode: local mode stores nothing")
	case req.Webhook != nil:
		return usagef("--webhook-url is for remote mode: a local job posts no events")
	}
	return nil
}

// flagOf names the command-line flag of an API option, for messages.
func flagOf(option string) string {
	switch option {
	case "render \"browser\"":
		return "--render browser"
	case "format \"screenshot\"":
		return "--formats screenshot"
	}
	return "--" + strings.ReplaceAll(option, "_", "-")
}
