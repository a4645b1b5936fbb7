package server

import (
	"net/http"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/firecrawl"
	"github.com/spidergo/spidergo/internal/web"
)

// handlerFunc is an HTTP handler that returns its error instead of writing
// it; wrap turns the error into the response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	pattern string
	h       handlerFunc
}

// routes is the whole HTTP surface in one table, but for the dashboard's
// HTML pages, which mountDashboard adds from internal/web's own table.
func (s *Server) routes() []route {
	table := []route{
		{"GET /healthz", s.handleHealthz},
		{"GET /readyz", s.handleReadyz},
		{"GET /openapi.json", s.handleOpenAPI},
		{"GET /docs/api", web.ServeAPIReference},

		// Accounts and cookie sessions (docs/authentication.md).
		{"POST /auth/register", s.refuseCrossOrigin(s.handleRegister)},
		{"POST /auth/login", s.refuseCrossOrigin(s.handleLogin)},
		{"POST /auth/logout", s.requireSession(s.handleLogout)},
		{"GET /auth/me", s.requireSession(s.handleMe)},
		{"DELETE /auth/me", s.requireSession(s.handleDeleteMe)},
		{"GET /auth/refresh", s.handleRefresh},
		{"POST /auth/change-password", s.requireSession(s.handleChangePassword)},
		{"POST /auth/verify-email", s.refuseCrossOrigin(s.handleVerifyEmail)},
		{"POST /auth/resend-email", s.refuseCrossOrigin(s.handleResendEmail)},
		{"POST /auth/forgot-password", s.refuseCrossOrigin(s.handleForgotPassword)},
		{"POST /auth/verify-reset-code", s.refuseCrossOrigin(s.handleVerifyResetCode)},
		{"POST /auth/reset-password", s.refuseCrossOrigin(s.handleResetPassword)},
		{"GET /auth/oauth", s.handleOAuthStart},
		{"GET /auth/oauth/{provider}", s.handleOAuthCallback},

		// API key management (cookie session).
		{"POST /auth/api-keys", s.requireSession(s.handleCreateAPIKey)},
		{"GET /auth/api-keys", s.requireSession(s.handleListAPIKeys)},
		{"DELETE /auth/api-keys/{id}", s.requireSession(s.handleRevokeAPIKey)},
		{"POST /auth/api-keys/revoke-all", s.requireSession(s.handleRevokeAllAPIKeys)},
		{"GET /auth/api-keys/{id}/usage", s.requireSession(s.handleAPIKeyUsage)},

		// Programmatic API: every /v1 route sits behind requireAPIKey.
		{"GET /v1/usage", s.requireAPIKey(false, s.handleV1Usage)},
		{"POST /v1/scrape", s.requireAPIKey(true, s.runJob(spidergo.KindScrape))},
		{"POST /v1/crawl", s.requireAPIKey(true, s.runJob(spidergo.KindCrawl))},
		{"POST /v1/batch/scrape", s.requireAPIKey(true, s.runJob(spidergo.KindBatch))},
		{"POST /v1/map", s.requireAPIKey(true, s.runJob(spidergo.KindMap))},
		{"GET /v1/crawl", s.requireAPIKey(false, s.handleHistory)},
		{"GET /v1/crawl/{id}", s.requireAPIKey(false, s.handleJob)},
		{"GET /v1/crawl/{id}/stream", s.requireAPIKey(false, s.handleStream)},
		{"GET /v1/crawl/{id}/errors", s.requireAPIKey(false, s.handleJobErrors)},
		{"GET /v1/crawl/{id}/webhooks", s.requireAPIKey(false, s.handleDeliveries)},
		{"POST /v1/crawl/{id}/webhooks/{delivery}/redeliver", s.requireAPIKey(false, s.handleRedeliver)},
		{"DELETE /v1/crawl/{id}", s.requireAPIKey(false, s.handleCancel)},
		{"GET /v1/history", s.requireAPIKey(false, s.handleHistory)},
		{"DELETE /v1/history/{id}", s.requireAPIKey(false, s.handleDeleteJob)},
		// MCP over streamable HTTP (internal/mcp): tool calls that start a
		// job take their quota unit themselves.
		{"POST /mcp", s.requireAPIKey(false, s.handleMCP)},
		{"GET /mcp", s.requireAPIKey(false, s.handleMCP)},
		{"DELETE /mcp", s.requireAPIKey(false, s.handleMCP)},
		{"GET /v1/webhook-secret", s.requireAPIKey(false, s.handleWebhookSecret)},
		{"POST /v1/webhook-secret", s.requireAPIKey(false, s.handleRotateWebhookSecret)},

		// Dashboard job routes (cookie session) and public trials.
		{"POST /scrape", s.requireSession(s.runJob(spidergo.KindScrape))},
		{"POST /crawl", s.requireSession(s.runJob(spidergo.KindCrawl))},
		{"GET /history", s.requireSession(s.handleHistory)},
		{"GET /history/{id}", s.requireSession(s.handleJob)},
		{"DELETE /history/{id}", s.requireSession(s.handleDeleteJob)},
		{"GET /history/{id}/stream", s.requireSession(s.handleStream)},
		{"POST /history/{id}/cancel", s.requireSession(s.handleCancel)},
		{"GET /auth/webhook-secret", s.requireSession(s.handleWebhookSecret)},
		{"POST /auth/webhook-secret", s.requireSession(s.handleRotateWebhookSecret)},
		{"POST /trial/scrape", s.handleTrial(spidergo.KindScrape)},
		{"POST /trial/crawl", s.handleTrial(spidergo.KindCrawl)},
		{"/v1/", s.requireAPIKey(false, s.handleV1NoRoute)},
	}
	return append(table, s.firecrawlRoutes()...)
}

// firecrawlRoutes are the Firecrawl-compatible routes (internal/firecrawl)
// behind the same API key gate and quota as /v1, answering errors in
// Firecrawl's form.
func (s *Server) firecrawlRoutes() []route {
	var out []route
	for _, fr := range s.fc.Routes() {
		out = append(out, route{fr.Pattern, s.firecrawlErrors(s.gate(fr.Work, fr.Handle, s.fc.WriteError))})
	}
	return append(out, route{firecrawl.Prefix + "/", s.firecrawlErrors(s.gate(false, s.fc.NotFound, s.fc.WriteError))})
}

// firecrawlErrors writes the errors h returns in Firecrawl's form.
func (s *Server) firecrawlErrors(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		if err == nil {
			return nil
		}
		if rec, ok := w.(*recorder); ok && rec.wrote {
			// The answer has started: all that is left is to note it.
			s.log.Warn("answer failed after it started", "request_id", requestID(r.Context()), "path", r.URL.Path, "err", err)
			return nil
		}
		s.fc.WriteError(w, r, err)
		return nil
	}
}
