package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/fetch"
)

// syncDeadline bounds a synchronous crawl; larger crawls go async.
const syncDeadline = 90 * time.Second

func writeEnvelope(w http.ResponseWriter, status int, e *api.Envelope) error {
	return writeJSON(w, status, api.Response{Message: e})
}

// normalizeURL runs the fetcher's pre-check on a user's URL (see
// NormalizeURL).
func (s *Server) normalizeURL(raw string) (string, error) {
	return NormalizeURL(s.jobs.fetcher, raw)
}

// jobRequest decodes and validates a job request of kind.
func (s *Server) jobRequest(w http.ResponseWriter, r *http.Request, kind string, trial bool) (*api.Request, *crawl.Options, error) {
	var req api.Request
	if err := decodeJSON(w, r, &req); err != nil {
		return nil, nil, err
	}
	if trial && req.IsAsync() {
		return nil, nil, spidergo.Errorf(spidergo.EINVALID, "Trial crawls are synchronous only; sign up for an API key to run async crawls.")
	}
	o, err := crawl.Validate(&req, kind, trial, s.normalizeURL)
	if err != nil {
		return nil, nil, err
	}
	return &req, o, nil
}

// runJob starts a job of kind for the acting user: synchronously (the
// whole envelope) or, for async crawls and batches, queued (202).
func (s *Server) runJob(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		req, o, err := s.jobRequest(w, r, kind, false)
		if err != nil {
			return err
		}
		userID := userIDFrom(r.Context())
		opts, err := json.Marshal(req)
		if err != nil {
			return err
		}
		j := &spidergo.Job{UserID: userID, KeyID: keyIDFrom(r.Context()), Kind: kind, URL: o.Seeds[0], Options: opts}
		if o.Async {
			j.Status = spidergo.StatusQueued
			if err := s.store.CreateJob(r.Context(), j); err != nil {
				return err
			}
			s.jobs.runner.Submit(j)
			// A dashboard user follows the job on the cookie routes; /v1
			// would refuse the cookie.
			if keyIDFrom(r.Context()) == "" {
				w.Header().Set("Location", "/history/"+j.ID)
			} else {
				w.Header().Set("Location", "/v1/crawl/"+j.ID)
			}
			return writeEnvelope(w, http.StatusAccepted, crawl.EnvelopeOf(j))
		}
		j.Status = spidergo.StatusRunning
		j.StartedAt = s.now().UTC()
		if err := s.store.CreateJob(r.Context(), j); err != nil {
			return err
		}
		return s.runSync(w, r, j, o)
	}
}

// runSync runs a job inside the request and answers with every page.
func (s *Server) runSync(w http.ResponseWriter, r *http.Request, j *spidergo.Job, o *crawl.Options) error {
	deadline := syncDeadline
	if o.Kind == spidergo.KindScrape {
		deadline = o.Timeout + 5*time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), deadline)
	defer cancel()
	hooks := s.jobs.webhooks.Open(j.UserID, j.ID, o.Webhook)
	// Deliveries may retry for a while; the answer does not wait for them.
	defer func() { go hooks.Close() }()
	hooks.Send(api.EventStarted, crawl.HeadOf(j))
	runErr := s.jobs.engine.Run(ctx, &crawl.Job{ID: j.ID, UserID: j.UserID, Options: o, Queue: crawl.StoreQueue{Store: s.store, JobID: j.ID},
		OnPage: func(p *spidergo.Page) { hooks.Send(api.EventPage, crawl.WirePage(p)) }})
	bg := context.WithoutCancel(r.Context())
	status, msg := spidergo.StatusCompleted, ""
	switch {
	case r.Context().Err() != nil:
		status, msg = spidergo.StatusCancelled, "client_disconnected"
	case errors.Is(runErr, context.DeadlineExceeded):
		msg = "deadline_exceeded"
	case runErr != nil:
		s.store.SetJobStatus(bg, j.ID, spidergo.StatusFailed, "internal", s.now())
		if failed, err := s.store.JobByID(bg, j.ID); err == nil {
			hooks.Send(api.EventFailed, crawl.HeadOf(failed))
		}
		return runErr
	}
	if err := s.store.SetJobStatus(bg, j.ID, status, msg, s.now()); err != nil {
		return err
	}
	done, err := s.store.JobByID(bg, j.ID)
	if err != nil {
		return err
	}
	hooks.Send(api.EventCompleted, crawl.HeadOf(done))
	env := crawl.EnvelopeOf(done)
	pages, _, err := s.store.Pages(bg, j.ID, "", crawl.MaxSyncLimit+1)
	if err != nil {
		return err
	}
	env.Pages = crawl.WirePages(pages)
	if err := seedRefused(pages, o); err != nil {
		s.store.DeleteJob(bg, j.UserID, j.ID)
		return err
	}
	return writeEnvelope(w, http.StatusOK, env)
}

// seedRefused turns a seed refused by the address guard into the 400 the
// API promises; any other failed seed is a page with its Error.
func seedRefused(pages []*spidergo.Page, o *crawl.Options) error {
	if len(o.Seeds) != 1 {
		return nil
	}
	for _, p := range pages {
		if p.URL == o.Seeds[0] && p.Error == fetch.KindBlockedAddress {
			return &spidergo.Error{Code: spidergo.EINVALID, Reason: fetch.KindBlockedAddress,
				Message: fmt.Sprintf("URL %q cannot be fetched: %s", p.URL, p.ErrorDetail)}
		}
	}
	return nil
}

// handleTrial runs a small synchronous job for a visitor without an
// account: capped per client IP per day, nothing stored.
func (s *Server) handleTrial(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.TrialDailyLimit == 0 {
			return spidergo.Errorf(spidergo.ENOTFOUND, "Trials are turned off on this server.")
		}
		ip := s.clientIP(r)
		if !s.jobs.trials.Take(ip.String(), s.now()) {
			w.Header().Set("Retry-After", strconv.Itoa(secondsToMidnight(s.now())))
			return spidergo.Errorf(spidergo.EQUOTA, "The trial allows %d requests a day from one address; create an account and an API key for more.", s.cfg.TrialDailyLimit)
		}
		_, o, err := s.jobRequest(w, r, kind, true)
		if err != nil {
			s.jobs.trials.Give(ip.String(), s.now())
			return err
		}
		ctx, cancel := context.WithTimeout(r.Context(), syncDeadline)
		defer cancel()
		q := crawl.NewMemQueue()
		crid := spidergo.NewID()
		started := s.now().UTC()
		if err := s.jobs.engine.Run(ctx, &crawl.Job{ID: crid, Options: o, Queue: q}); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if err := seedRefused(q.Pages, o); err != nil {
			s.jobs.trials.Give(ip.String(), s.now())
			return err
		}
		finished := s.now().UTC()
		env := &api.Envelope{CRID: crid, Kind: kind, Status: spidergo.StatusCompleted, URL: o.Seeds[0], StartedAt: api.TimePtr(started), FinishedAt: api.TimePtr(finished), Pages: crawl.WirePages(q.Pages)}
		if len(q.Skipped) > 0 {
			env.Skipped = q.Skipped
		}
		for _, p := range q.Pages {
			env.TotalPages++
			env.TotalResponseTimeMS += p.ResponseTimeMS
			env.TotalPayloadSize += p.PayloadSize
		}
		return writeEnvelope(w, http.StatusOK, env)
	}
}

// handleMap lists a site's URLs from its sitemaps and the seed's links.
func (s *Server) handleMap(w http.ResponseWriter, r *http.Request) error {
	req, o, err := s.jobRequest(w, r, spidergo.KindMap, false)
	if err != nil {
		return err
	}
	opts, _ := json.Marshal(req)
	userID := userIDFrom(r.Context())
	j := &spidergo.Job{UserID: userID, KeyID: keyIDFrom(r.Context()), Kind: spidergo.KindMap, URL: o.Seeds[0], Status: spidergo.StatusRunning, StartedAt: s.now().UTC(), Options: opts}
	if err := s.store.CreateJob(r.Context(), j); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), o.Timeout+5*time.Second)
	defer cancel()
	urls, err := s.jobs.engine.Map(ctx, o)
	bg := context.WithoutCancel(r.Context())
	if err != nil {
		s.store.SetJobStatus(bg, j.ID, spidergo.StatusFailed, fetch.KindOf(err), s.now())
		if fetch.KindOf(err) == fetch.KindBlockedAddress {
			s.store.DeleteJob(bg, userID, j.ID)
			return &spidergo.Error{Code: spidergo.EINVALID, Reason: fetch.KindBlockedAddress, Message: fmt.Sprintf("URL %q resolves to an address this server does not fetch.", o.Seeds[0])}
		}
	} else {
		s.store.SetJobStatus(bg, j.ID, spidergo.StatusCompleted, "", s.now())
	}
	done, err := s.store.JobByID(bg, j.ID)
	if err != nil {
		return err
	}
	env := crawl.EnvelopeOf(done)
	env.URLs = urls
	if env.URLs == nil {
		env.URLs = []string{}
	}
	return writeEnvelope(w, http.StatusOK, env)
}

// pageLimit reads ?limit= for result pages.
func pageLimit(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, spidergo.Errorf(spidergo.EINVALID, "Query parameter \"limit\" must be from 1 to %d.", max)
	}
	return n, nil
}

// handleJob answers a job's status with one page of its results.
func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.store.Job(r.Context(), userIDFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	limit, err := pageLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	env := crawl.EnvelopeOf(j)
	pages, next, err := s.store.Pages(r.Context(), j.ID, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	env.Pages, env.Next = crawl.WirePages(pages), next
	return writeEnvelope(w, http.StatusOK, env)
}

// handleCancel cancels a running job; its pages stay.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) error {
	userID := userIDFrom(r.Context())
	if err := s.jobs.runner.Cancel(r.Context(), userID, r.PathValue("id")); err != nil {
		return err
	}
	j, err := s.store.Job(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeEnvelope(w, http.StatusOK, crawl.EnvelopeOf(j))
}

// handleStream sends a job's pages as NDJSON (or SSE when asked) from the
// start, then live as they are stored, and ends with a summary line once
// the job has finished.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) error {
	userID := userIDFrom(r.Context())
	j, err := s.store.Job(r.Context(), userID, r.PathValue("id"))
	if err != nil {
		return err
	}
	sse := r.Header.Get("Accept") == "text/event-stream"
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	emit := func(event string, v any) error {
		if sse {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: ", event); err != nil {
				return err
			}
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
		if sse {
			if _, err := fmt.Fprint(w, "\n"); err != nil {
				return err
			}
		}
		return rc.Flush()
	}
	cursor := ""
	for {
		// Subscribe before reading so that a page stored in between wakes us.
		changed := s.jobs.runner.Changed(j.ID)
		for {
			pages, _, err := s.store.Pages(r.Context(), j.ID, cursor, 100)
			if err != nil {
				return err
			}
			for _, p := range pages {
				if err := emit("page", api.StreamLine{Type: "page", Page: crawl.WirePage(p)}); err != nil {
					return nil // the client went away
				}
			}
			// Page numbers run 1, 2, 3 … without gaps, so the cursor after
			// k more pages is the old one plus k.
			cursor = advance(cursor, len(pages))
			if len(pages) < 100 {
				break
			}
		}
		if j.Finished() {
			emit("summary", api.StreamLine{Type: "summary", Job: crawl.HeadOf(j)})
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-changed:
		case <-time.After(time.Second):
			// Another process may run the job; look again now and then.
		}
		if j, err = s.store.Job(r.Context(), userID, j.ID); err != nil {
			return nil
		}
	}
}

// handleWebhookSecret shows the key the caller's webhooks are signed with.
func (s *Server) handleWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.store.WebhookSecret(r.Context(), userIDFrom(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"webhook_secret": secret})
}

// handleRotateWebhookSecret replaces the caller's webhook signing key.
func (s *Server) handleRotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	secret, err := s.store.RotateWebhookSecret(r.Context(), userIDFrom(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"webhook_secret": secret})
}

// advance moves a page cursor past n pages.
func advance(cursor string, n int) string {
	c, _ := strconv.Atoi(cursor)
	return strconv.Itoa(c + n)
}

// handleHistory lists the caller's jobs, newest first.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r, 20, 100)
	if err != nil {
		return err
	}
	jobs, next, err := s.store.ListJobs(r.Context(), userIDFrom(r.Context()), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := api.History{Jobs: make([]*api.Envelope, 0, len(jobs)), Next: next}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, crawl.HeadOf(j))
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDeleteJob removes one of the caller's jobs and its pages.
func (s *Server) handleDeleteJob(w http.ResponseWriter, r *http.Request) error {
	userID, id := userIDFrom(r.Context()), r.PathValue("id")
	if err := s.jobs.runner.Cancel(r.Context(), userID, id); err != nil && spidergo.ErrorCode(err) != spidergo.ECONFLICT {
		return err
	}
	if err := s.store.DeleteJob(r.Context(), userID, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Job deleted."})
}
