package web

// routes is the dashboard's whole surface in one table. GET pages render;
// every other method is a form post (or the playground's fetch) that
// page() checks for a cross-origin source before anything else.
func (wb *Web) routes() []route {
	return []route{
		{"GET /static/", staticHandler()},
		{"GET /{$}", wb.page(wb.home)},
		{"GET /quickstart", wb.page(wb.quickStart)},

		// Accounts.
		{"GET /signup", wb.page(wb.signUpForm)},
		{"POST /signup", wb.page(wb.signUp)},
		{"GET /signin", wb.page(wb.signInForm)},
		{"POST /signin", wb.page(wb.signIn)},
		{"POST /signout", wb.member(wb.signOut)},
		{"GET " + refreshPath, wb.page(wb.refresh)},
		{"GET /verify-email", wb.page(wb.verifyForm)},
		{"POST /verify-email", wb.page(wb.verify)},
		{"POST /verify-email/resend", wb.page(wb.resendVerification)},
		{"GET /forgot-password", wb.page(wb.forgotForm)},
		{"POST /forgot-password", wb.page(wb.forgot)},
		{"GET /reset-password", wb.page(wb.resetCodeForm)},
		{"POST /reset-password/code", wb.page(wb.resetCode)},
		{"POST /reset-password", wb.page(wb.resetPassword)},
		{"GET /account", wb.member(wb.account)},
		{"POST /account/password", wb.member(wb.changePassword)},
		{"GET /account/webhook-secret/rotate", wb.member(wb.rotateSecretForm)},
		{"POST /account/webhook-secret", wb.member(wb.rotateSecret)},
		{"GET /account/delete", wb.member(wb.deleteAccountForm)},
		{"POST /account/delete", wb.member(wb.deleteAccount)},

		// API keys and usage.
		{"GET /keys", wb.member(wb.keys)},
		{"POST /keys", wb.member(wb.createKey)},
		{"GET /keys/revoke-all", wb.member(wb.revokeAllForm)},
		{"POST /keys/revoke-all", wb.member(wb.revokeAll)},
		{"GET /keys/{id}/revoke", wb.member(wb.revokeKeyForm)},
		{"POST /keys/{id}/revoke", wb.member(wb.revokeKey)},
		{"GET /usage", wb.member(wb.usage)},

		// Playground and history. The playground's script calls the cookie
		// job routes (POST /scrape, /crawl, GET /history/{id}/stream, POST
		// /history/{id}/cancel) that the server serves.
		{"GET /playground", wb.member(wb.playground)},
		{"POST /playground/markdown", wb.member(wb.renderMarkdown)},
		{"GET /jobs", wb.member(wb.history)},
		{"GET /jobs/{id}", wb.member(wb.job)},
		{"POST /jobs/{id}/cancel", wb.member(wb.cancelJob)},
		{"GET /jobs/{id}/delete", wb.member(wb.deleteJobForm)},
		{"POST /jobs/{id}/delete", wb.member(wb.deleteJob)},
	}
}
