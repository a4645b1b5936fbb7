package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// keyRow is one key with its usage.
type keyRow struct {
	Key       api.Key
	UsedToday int
	Remaining int
	Days      []api.DayUsage
	Total     int
	Chart     template.HTML
}

// quotaToday sums today's use over the user's keys.
type quotaToday struct {
	Used, Limit, Remaining int
	ResetsAt               string
	ResetsIn               string
}

func (wb *Web) keysUsage(r *http.Request, keys []api.Key) ([]keyRow, error) {
	rows := make([]keyRow, 0, len(keys))
	for _, k := range keys {
		u, err := wb.b.KeyUsage(r, k.KeyID)
		if err != nil {
			return nil, err
		}
		row := keyRow{Key: k, Days: u.Days, Total: u.Total}
		if n := len(u.Days); n > 0 {
			row.UsedToday = u.Days[n-1].Used
		}
		row.Remaining = max(0, k.DailyLimit-row.UsedToday)
		row.Chart = usageChart(k.KeyID, k.Name, u.Days, k.DailyLimit)
		rows = append(rows, row)
	}
	return rows, nil
}

func todayOf(rows []keyRow, now time.Time) quotaToday {
	q := quotaToday{}
	for _, r := range rows {
		q.Used += r.UsedToday
		q.Limit += r.Key.DailyLimit
		q.Remaining += r.Remaining
	}
	reset := spidergo.QuotaReset(now)
	q.ResetsAt = reset.UTC().Format("15:04 UTC")
	left := reset.Sub(now).Round(time.Minute)
	q.ResetsIn = fmt.Sprintf("%dh %02dm", int(left.Hours()), int(left.Minutes())%60)
	return q
}

// keysData is the API keys page.
type keysData struct {
	Rows    []keyRow
	MaxKeys int
	AtLimit bool
	// Created is the key just made, shown this once.
	Created *api.CreatedKey
	Today   quotaToday
}

func (wb *Web) keysPage(w http.ResponseWriter, r *http.Request, v *view, status int, created *api.CreatedKey) error {
	keys, err := wb.b.APIKeys(r)
	if err != nil {
		return err
	}
	rows, err := wb.keysUsage(r, keys)
	if err != nil {
		return err
	}
	v.D = keysData{
		Rows: rows, MaxKeys: wb.cfg.APIKeyMaxPerUser, AtLimit: len(keys) >= wb.cfg.APIKeyMaxPerUser,
		Created: created, Today: todayOf(rows, wb.cfg.Now()),
	}
	wb.render(w, status, "keys", v)
	return nil
}

func (wb *Web) keys(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	return wb.keysPage(w, r, wb.view(r, u, "API keys", "keys"), http.StatusOK, nil)
}

// createKey answers with the keys page itself rather than a redirect: the
// new key is in this one answer's body, marked no-store, and nowhere else.
func (wb *Web) createKey(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	v := wb.view(r, u, "API keys", "keys")
	created, err := wb.b.CreateAPIKey(w, r, name)
	if err != nil {
		v.Values["name"] = name
		// A refused name goes next to the field; the key limit is about
		// the page, whose form the limit replaces with its explanation.
		if spidergo.ErrorCode(err) == spidergo.EINVALID {
			v.Errors["name"] = spidergo.ErrorMessage(err)
		} else {
			v.Error = spidergo.ErrorMessage(err)
		}
		return wb.keysPage(w, r, v, formStatus(err), nil)
	}
	w.Header().Set("Cache-Control", "no-store")
	v.Title = "API key created"
	return wb.keysPage(w, r, v, http.StatusCreated, created)
}

func (wb *Web) findKey(r *http.Request, id string) (*api.Key, error) {
	keys, err := wb.b.APIKeys(r)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.KeyID == id {
			return &k, nil
		}
	}
	return nil, spidergo.Errorf(spidergo.ENOTFOUND, "No such API key.")
}

func (wb *Web) revokeKeyForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	k, err := wb.findKey(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := wb.view(r, u, "Revoke "+k.Name+"?", "keys")
	v.D = confirmData{
		Text:   fmt.Sprintf("Requests with %s…%s are refused from the moment you revoke it. This cannot be undone; you can create a new key afterwards.", spidergo.APIKeyPrefix, k.Last4),
		Action: "/keys/" + k.KeyID + "/revoke", Button: "Revoke the key", Cancel: "/keys",
	}
	wb.render(w, http.StatusOK, "confirm", v)
	return nil
}

func (wb *Web) revokeKey(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	if err := wb.b.RevokeAPIKey(w, r, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/keys?done=key-revoked")
}

func (wb *Web) usage(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	keys, err := wb.b.APIKeys(r)
	if err != nil {
		return err
	}
	rows, err := wb.keysUsage(r, keys)
	if err != nil {
		return err
	}
	v := wb.view(r, u, "Usage", "usage")
	v.D = keysData{Rows: rows, MaxKeys: wb.cfg.APIKeyMaxPerUser, Today: todayOf(rows, wb.cfg.Now())}
	wb.render(w, http.StatusOK, "usage", v)
	return nil
}

func (wb *Web) revokeAllForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	v := wb.view(r, u, "Revoke every API key?", "keys")
	v.D = confirmData{
		Text:   "Every active key of your account is refused from the moment you confirm: use this when a key may have leaked and you do not know which. This cannot be undone; you can create new keys afterwards.",
		Action: "/keys/revoke-all", Button: "Revoke every key", Cancel: "/keys",
	}
	wb.render(w, http.StatusOK, "confirm", v)
	return nil
}

func (wb *Web) revokeAll(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	if _, err := wb.b.RevokeAllAPIKeys(w, r); err != nil {
		return err
	}
	return redirect(w, r, "/keys?done=keys-revoked")
}
