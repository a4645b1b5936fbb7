package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/mail"
)

// claimPath is how the owner of an address proved it.
type claimPath int

const (
	claimByProvider     claimPath = iota // a provider vouched for the address
	claimByVerification                  // the mailed verification code
	claimByReset                         // the mailed password reset code
)

func (p claimPath) String() string {
	return [...]string{"signing in with a provider that vouches for the address", "entering the verification code mailed to it", "resetting the password with the code mailed to it"}[p]
}

// maxClaimJobs bounds the jobs a claim mail lists.
const maxClaimJobs = 50

// claim makes an unverified account its address's owner's. Until the
// address is proven anyone could have registered it — a squatter waiting
// for the owner to arrive — so whatever was set up before the proof is
// not trusted: API keys are revoked, the webhook signing secret is
// replaced (a key could read it and forge signatures), sessions and
// pending codes end. A provider sign-in also drops the password set at
// registration, which the provider's user may never have chosen. Jobs of
// the unverified period stay, listed in the mail, so the owner can see and
// delete them. The owner is told by mail what was ended whenever there was
// something to end beyond sessions and codes.
func (s *Service) claim(ctx context.Context, u *spidergo.User, how claimPath) error {
	// Sessions end first: keys are made through a session, so a squatter
	// still signed in cannot make a new one after the old ones are gone.
	if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	if err := s.store.DeleteCodes(ctx, u.ID, spidergo.CodeVerifyEmail, spidergo.CodeResetPassword, spidergo.CodeResetToken); err != nil {
		return err
	}
	keys, err := s.store.RevokeUserAPIKeys(ctx, u.ID)
	if err != nil {
		return err
	}
	if _, err := s.store.RotateWebhookSecret(ctx, u.ID); err != nil {
		return err
	}
	// Marked verified last: should any step above fail, the account stays
	// unverified and the next proof runs the whole claim again.
	u.IsVerified = true
	hadPassword := false
	if how == claimByProvider {
		hadPassword = u.PasswordHash != ""
		u.PasswordHash = ""
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	jobs, _, err := s.store.ListJobs(ctx, u.ID, spidergo.JobFilter{Limit: maxClaimJobs})
	if err != nil {
		// The claim stands; the mail goes out without the job list.
		s.log.Error("listing jobs for the claim mail failed", "user_id", u.ID, "err", err)
	}
	s.log.Info("unverified account claimed by its address's owner", "user_id", u.ID, "by", how.String(), "keys_revoked", len(keys), "jobs", len(jobs))
	if len(keys) == 0 && len(jobs) == 0 && !hadPassword {
		// Nothing of the unverified period is left to report: the common
		// case of people verifying the address they just signed up with.
		return nil
	}
	s.send(mail.Message{To: u.Email, Subject: "Your SpiderGo account is now yours alone", Body: claimMail(u, how, keys, jobs)}, u.ID, "claim")
	return nil
}

func claimMail(u *spidergo.User, how claimPath, keys []*spidergo.APIKey, jobs []*spidergo.Job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nYou proved that %s is yours by %s. Until then, anyone could have registered this address, so everything set up on the account before was ended:\n\n", greeting(u.FirstName), u.Email, how)
	if len(keys) == 0 {
		b.WriteString("- No API keys existed.\n")
	} else {
		fmt.Fprintf(&b, "- %d API key(s) revoked:\n", len(keys))
		for _, k := range keys {
			fmt.Fprintf(&b, "    %s (…%s), created %s, %s\n", k.Name, k.Last4, k.CreatedAt.UTC().Format(time.DateOnly), lastUse(k.LastUsedAt))
		}
	}
	b.WriteString("- The webhook signing secret was replaced.\n- Every session was signed out and pending codes were cancelled.\n")
	if how == claimByProvider {
		b.WriteString("- The password set at registration was removed; sign in with your provider, or set a password with \"forgot password\".\n")
	}
	if len(jobs) > 0 {
		fmt.Fprintf(&b, "\nThese jobs were run before the address was proven. They are kept in your history; delete any you do not recognise:\n\n")
		for _, j := range jobs {
			fmt.Fprintf(&b, "    %s  %s %s  %s\n", j.CreatedAt.UTC().Format("2006-01-02 15:04"), j.Kind, j.URL, j.ID)
		}
		if len(jobs) == maxClaimJobs {
			fmt.Fprintf(&b, "    (the newest %d; see your history for the rest)\n", maxClaimJobs)
		}
	}
	b.WriteString("\nCreate new API keys in the dashboard when you need them.\n")
	return b.String()
}
