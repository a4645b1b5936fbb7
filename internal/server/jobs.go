package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/crawl"
)

func writeEnvelope(w http.ResponseWriter, status int, e *api.Envelope) error {
	return writeJSON(w, status, api.Response{Message: e})
}

// writeStarted answers a started job: 202 with its Location when queued,
// 200 with the whole envelope otherwise. A dashboard user, signed in with
// a cookie that /v1 refuses, follows the job on the cookie routes.
func writeStarted(w http.ResponseWriter, r *http.Request, st *crawl.Started) error {
	if st.Queued {
		if keyIDFrom(r.Context()) == "" {
			w.Header().Set("Location", "/history/"+st.Envelope.CRID)
		} else {
			w.Header().Set("Location", "/v1/crawl/"+st.Envelope.CRID)
		}
		return writeEnvelope(w, http.StatusAccepted, st.Envelope)
	}
	return writeEnvelope(w, http.StatusOK, st.Envelope)
}

// runJob starts a job of kind for the acting user.
func (s *Server) runJob(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req api.Request
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
		st, err := s.jobs.svc.Start(r.Context(), crawl.Actor{UserID: userIDFrom(r.Context()), KeyID: keyIDFrom(r.Context())}, kind, &req)
		if err != nil {
			return err
		}
		return writeStarted(w, r, st)
	}
}

// handleTrial runs a small synchronous job for a visitor without an
// account: capped per client IP per day, nothing stored.
func (s *Server) handleTrial(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.TrialDailyLimit == 0 {
			return spidergo.Errorf(spidergo.ENOTFOUND, "Trials are turned off on this server.")
		}
		ip := s.clientIP(r).String()
		if !s.jobs.trials.Take(ip, s.now()) {
			if s.obs != nil {
				s.obs.QuotaRefused(QuotaTrial)
			}
			w.Header().Set("Retry-After", strconv.Itoa(secondsToMidnight(s.now())))
			return spidergo.Errorf(spidergo.EQUOTA, "The trial allows %d requests a day from one address; create an account and an API key for more.", s.cfg.TrialDailyLimit)
		}
		var req api.Request
		err := decodeJSON(w, r, &req)
		var st *crawl.Started
		if err == nil {
			st, err = s.jobs.svc.Start(r.Context(), crawl.Actor{Trial: true}, kind, &req)
		}
		if err != nil {
			if spidergo.ErrorCode(err) == spidergo.EINVALID {
				s.jobs.trials.Give(ip, s.now()) // bad input costs no trial
				if s.obs != nil {
					s.obs.QuotaRefunded(QuotaTrial)
				}
			}
			return err
		}
		return writeStarted(w, r, st)
	}
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
	limit, err := pageLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	env, err := s.jobs.svc.Get(r.Context(), userIDFrom(r.Context()), r.PathValue("id"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return writeEnvelope(w, http.StatusOK, env)
}

// handleJobErrors lists a job's failed pages and robots-refused URLs.
func (s *Server) handleJobErrors(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	out, err := s.jobs.svc.Errors(r.Context(), userIDFrom(r.Context()), r.PathValue("id"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDeliveries lists a job's webhook deliveries, in the order they are
// sent.
func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r, 100, 1000)
	if err != nil {
		return err
	}
	out, err := s.jobs.svc.Deliveries(r.Context(), userIDFrom(r.Context()), r.PathValue("id"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleRedeliver queues one of a job's webhook deliveries again.
func (s *Server) handleRedeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := s.jobs.svc.Redeliver(r.Context(), userIDFrom(r.Context()), r.PathValue("id"), r.PathValue("delivery"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, api.Redelivered{Message: "The delivery is queued again.", Delivery: d})
}

// handleCancel cancels a running job; its pages stay.
func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobs.svc.Cancel(r.Context(), userIDFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeEnvelope(w, http.StatusOK, crawl.EnvelopeOf(j))
}

// handleStream sends a job's pages as NDJSON (or SSE when asked) from the
// start, then live as they are stored, and ends with a summary line once
// the job has finished.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) error {
	sse := r.Header.Get("Accept") == "text/event-stream"
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	started := false
	return s.jobs.svc.Stream(r.Context(), userIDFrom(r.Context()), r.PathValue("id"), func(line api.StreamLine) error {
		if !started {
			// Headers go out with the first line: an unknown job still
			// gets its 404.
			started = true
			if sse {
				w.Header().Set("Content-Type", "text/event-stream")
			} else {
				w.Header().Set("Content-Type", "application/x-ndjson")
			}
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		}
		if sse {
			if _, err := fmt.Fprintf(w, "event: %s\ndata: ", line.Type); err != nil {
				return err
			}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
		if sse {
			if _, err := fmt.Fprint(w, "\n"); err != nil {
				return err
			}
		}
		return rc.Flush()
	})
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

// handleHistory lists the caller's jobs, newest first; GET /v1/crawl also
// filters them by ?status=.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) error {
	limit, err := pageLimit(r, 20, 100)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out, err := s.jobs.svc.List(r.Context(), userIDFrom(r.Context()), spidergo.JobFilter{Status: q.Get("status"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// handleDeleteJob removes one of the caller's jobs and its pages,
// cancelling it first if it runs.
func (s *Server) handleDeleteJob(w http.ResponseWriter, r *http.Request) error {
	if err := s.jobs.svc.Delete(r.Context(), userIDFrom(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"message": "Job deleted."})
}
