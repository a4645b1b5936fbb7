package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
)

// formError puts err's message next to the first field it is about, or
// above the form when it names none. Fields are tried in order, so a
// password rule that mentions the email address stays with the password.
func (v *view) formError(err error, fields ...string) {
	msg := spidergo.ErrorMessage(err)
	if c := spidergo.ErrorCode(err); c == spidergo.EINVALID || c == spidergo.ECONFLICT {
		low := strings.ToLower(msg)
		for _, f := range fields {
			if strings.Contains(low, f) || strings.Contains(low, strings.ReplaceAll(f, "_", " ")) {
				v.Errors[f] = msg
				return
			}
		}
	}
	v.Error = msg
}

// formStatus is the status of a page that shows a refused form again.
func formStatus(err error) int {
	if s := statusOf(err); s < 500 {
		return s
	}
	return http.StatusInternalServerError
}

func (wb *Web) home(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	if u == nil {
		v := wb.view(r, nil, "Turn any website into LLM-ready data", "home")
		wb.render(w, http.StatusOK, "landing", v)
		return nil
	}
	keys, err := wb.b.APIKeys(r)
	if err != nil {
		return err
	}
	usage, err := wb.keysUsage(r, keys)
	if err != nil {
		return err
	}
	hist, err := wb.b.History(r, "", 5)
	if err != nil {
		return err
	}
	v := wb.view(r, u, "Dashboard", "home")
	v.D = struct {
		Keys    []keyRow
		Today   quotaToday
		Recent  []*api.Envelope
		MaxKeys int
	}{usage, todayOf(usage, wb.cfg.Now()), hist.Jobs, wb.cfg.APIKeyMaxPerUser}
	wb.render(w, http.StatusOK, "home", v)
	return nil
}

func (wb *Web) signUpForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	if u != nil {
		return redirect(w, r, "/")
	}
	wb.render(w, http.StatusOK, "signup", wb.view(r, nil, "Sign up", "signup"))
	return nil
}

func (wb *Web) signUp(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	in := SignUp{
		FirstName: r.PostFormValue("first_name"),
		LastName:  r.PostFormValue("last_name"),
		Email:     strings.TrimSpace(r.PostFormValue("email")),
		Password:  r.PostFormValue("password"),
	}
	v := wb.view(r, nil, "Sign up", "signup")
	v.Values = map[string]string{"first_name": in.FirstName, "last_name": in.LastName, "email": in.Email}
	if in.Password != r.PostFormValue("password_confirm") {
		v.Errors["password_confirm"] = "The two passwords differ; type the same password twice."
		wb.render(w, http.StatusBadRequest, "signup", v)
		return nil
	}
	if err := wb.b.SignUp(w, r, in); err != nil {
		v.formError(err, "password", "first_name", "last_name", "email")
		wb.render(w, formStatus(err), "signup", v)
		return nil
	}
	if wb.cfg.RequireEmailVerification {
		return redirect(w, r, "/verify-email?done=verify&email="+url.QueryEscape(in.Email))
	}
	// No verification to wait for: sign the new user straight in.
	if err := wb.b.SignIn(w, r, in.Email, in.Password); err != nil {
		return redirect(w, r, "/signin?done=signed-up")
	}
	return redirect(w, r, "/")
}

func (wb *Web) signInForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	if u != nil {
		return redirect(w, r, localPath(r.URL.Query().Get("next")))
	}
	v := wb.view(r, nil, "Sign in", "signin")
	v.Values["next"] = localPath(r.URL.Query().Get("next"))
	wb.render(w, http.StatusOK, "signin", v)
	return nil
}

func (wb *Web) signIn(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := localPath(r.PostFormValue("next"))
	err := wb.b.SignIn(w, r, email, r.PostFormValue("password"))
	if err == nil {
		return redirect(w, r, next)
	}
	var e *spidergo.Error
	if errors.As(err, &e) && e.Details["requires_verification"] == true {
		return redirect(w, r, "/verify-email?email="+url.QueryEscape(email))
	}
	v := wb.view(r, nil, "Sign in", "signin")
	v.Values = map[string]string{"email": email, "next": next}
	v.formError(err, "email")
	wb.render(w, formStatus(err), "signin", v)
	return nil
}

func (wb *Web) signOut(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	if err := wb.b.SignOut(w, r); err != nil {
		return err
	}
	return redirect(w, r, "/?done=signed-out")
}

func (wb *Web) verifyForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	v := wb.view(r, u, "Verify your email address", "")
	v.Values["email"] = r.URL.Query().Get("email")
	if u != nil && v.Values["email"] == "" {
		v.Values["email"] = u.Email
	}
	wb.render(w, http.StatusOK, "verify", v)
	return nil
}

func (wb *Web) verify(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	email, code := strings.TrimSpace(r.PostFormValue("email")), strings.TrimSpace(r.PostFormValue("code"))
	if err := wb.b.VerifyEmail(w, r, email, code); err != nil {
		v := wb.view(r, u, "Verify your email address", "")
		v.Values["email"] = email
		v.formError(err, "email", "code")
		if v.Error != "" && spidergo.ErrorCode(err) != spidergo.ETHROTTLED {
			v.Errors["code"], v.Error = v.Error, ""
		}
		wb.render(w, formStatus(err), "verify", v)
		return nil
	}
	if u != nil {
		return redirect(w, r, "/?done=verified")
	}
	return redirect(w, r, "/signin?done=verified")
}

func (wb *Web) resendVerification(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	v := wb.view(r, u, "Verify your email address", "")
	v.Values["email"] = email
	if err := wb.b.ResendVerification(w, r, email); err != nil {
		v.formError(err, "email")
		wb.render(w, formStatus(err), "verify", v)
		return nil
	}
	v.Flash = "If an account with this email address is waiting for verification, a new code is on its way."
	wb.render(w, http.StatusOK, "verify", v)
	return nil
}

func (wb *Web) forgotForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	wb.render(w, http.StatusOK, "forgot", wb.view(r, u, "Reset your password", ""))
	return nil
}

// forgot mails a reset code and shows the form to enter it.
func (wb *Web) forgot(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	if err := wb.b.ForgotPassword(w, r, email); err != nil {
		v := wb.view(r, u, "Reset your password", "")
		v.Values["email"] = email
		v.formError(err, "email")
		wb.render(w, formStatus(err), "forgot", v)
		return nil
	}
	v := wb.view(r, u, "Enter your reset code", "")
	v.Values["email"] = email
	v.Flash = "If an account with this email address exists, a reset code is on its way."
	wb.render(w, http.StatusOK, "reset-code", v)
	return nil
}

func (wb *Web) resetCodeForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	v := wb.view(r, u, "Enter your reset code", "")
	v.Values["email"] = r.URL.Query().Get("email")
	wb.render(w, http.StatusOK, "reset-code", v)
	return nil
}

// resetCode trades the code for a reset token, kept in the next form's
// hidden field (never in a URL), and asks for the new password.
func (wb *Web) resetCode(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	email, code := strings.TrimSpace(r.PostFormValue("email")), strings.TrimSpace(r.PostFormValue("code"))
	token, err := wb.b.VerifyResetCode(w, r, email, code)
	if err != nil {
		v := wb.view(r, u, "Enter your reset code", "")
		v.Values["email"] = email
		v.formError(err, "email", "code")
		if v.Error != "" && spidergo.ErrorCode(err) != spidergo.ETHROTTLED {
			v.Errors["code"], v.Error = v.Error, ""
		}
		wb.render(w, formStatus(err), "reset-code", v)
		return nil
	}
	v := wb.view(r, u, "Choose a new password", "")
	v.Values = map[string]string{"email": email, "token": token}
	wb.render(w, http.StatusOK, "reset-password", v)
	return nil
}

func (wb *Web) resetPassword(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	email, token, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("token"), r.PostFormValue("password")
	v := wb.view(r, u, "Choose a new password", "")
	v.Values = map[string]string{"email": email, "token": token}
	if password != r.PostFormValue("password_confirm") {
		v.Errors["password_confirm"] = "The two passwords differ; type the same password twice."
		wb.render(w, http.StatusBadRequest, "reset-password", v)
		return nil
	}
	if err := wb.b.ResetPassword(w, r, email, token, password); err != nil {
		v.formError(err, "password")
		wb.render(w, formStatus(err), "reset-password", v)
		return nil
	}
	return redirect(w, r, "/signin?done=password-reset")
}

// accountData is the account page: profile, password, webhook secret.
type accountData struct {
	WebhookSecret string
}

func (wb *Web) account(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	return wb.renderAccount(w, r, u, wb.view(r, u, "Account", "account"), http.StatusOK)
}

func (wb *Web) renderAccount(w http.ResponseWriter, r *http.Request, u *api.Profile, v *view, status int) error {
	secret, err := wb.b.WebhookSecret(r)
	if err != nil {
		return err
	}
	v.D = accountData{WebhookSecret: secret}
	wb.render(w, status, "account", v)
	return nil
}

func (wb *Web) changePassword(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	current, next := r.PostFormValue("current_password"), r.PostFormValue("new_password")
	v := wb.view(r, u, "Account", "account")
	var err error
	switch {
	case next != r.PostFormValue("new_password_confirm"):
		v.Errors["new_password_confirm"] = "The two new passwords differ; type the same password twice."
		return wb.renderAccount(w, r, u, v, http.StatusBadRequest)
	default:
		err = wb.b.ChangePassword(w, r, current, next)
	}
	if err == nil {
		return redirect(w, r, "/account?done=password-changed")
	}
	switch spidergo.ErrorCode(err) {
	case spidergo.EUNAUTHORIZED:
		v.Errors["current_password"] = spidergo.ErrorMessage(err)
	case spidergo.EINVALID:
		v.Errors["new_password"] = spidergo.ErrorMessage(err)
	default:
		v.Error = spidergo.ErrorMessage(err)
	}
	return wb.renderAccount(w, r, u, v, formStatus(err))
}

func (wb *Web) rotateSecretForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	v := wb.view(r, u, "Replace the webhook secret?", "account")
	v.D = confirmData{
		Text:   "Webhooks are signed with the new secret from the moment you replace it. Receivers that still check the old one will refuse them until you give them the new secret.",
		Action: "/account/webhook-secret", Button: "Replace the secret", Cancel: "/account",
	}
	wb.render(w, http.StatusOK, "confirm", v)
	return nil
}

func (wb *Web) rotateSecret(w http.ResponseWriter, r *http.Request, _ *api.Profile) error {
	if _, err := wb.b.RotateWebhookSecret(w, r); err != nil {
		return err
	}
	return redirect(w, r, "/account?done=secret-rotated")
}

func (wb *Web) deleteAccountForm(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	wb.render(w, http.StatusOK, "delete-account", wb.view(r, u, "Delete your account", "account"))
	return nil
}

// deleteAccount asks for the account's email address typed out, so that
// one stray click cannot delete everything.
func (wb *Web) deleteAccount(w http.ResponseWriter, r *http.Request, u *api.Profile) error {
	typed := strings.ToLower(strings.TrimSpace(r.PostFormValue("confirm_email")))
	if typed != strings.ToLower(u.Email) {
		v := wb.view(r, u, "Delete your account", "account")
		v.Values["confirm_email"] = r.PostFormValue("confirm_email")
		v.Errors["confirm_email"] = "Type your email address exactly as shown to confirm."
		wb.render(w, http.StatusBadRequest, "delete-account", v)
		return nil
	}
	if err := wb.b.DeleteAccount(w, r); err != nil {
		return err
	}
	return redirect(w, r, "/?done=account-deleted")
}

// confirmData is a yes-or-no page for an action that cannot be undone.
type confirmData struct {
	Text, Action, Button, Cancel string
}
