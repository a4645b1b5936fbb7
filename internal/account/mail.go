package account

import (
	"context"
	"time"

	"github.com/spidergo/spidergo/internal/mail"
)

// mailTimeout bounds one delivery.
const mailTimeout = time.Minute

// send delivers msg in the background: an SMTP exchange takes long enough
// that waiting for it would tell a caller whether an account exists. Close
// waits for deliveries still running.
func (s *Service) send(msg mail.Message, userID, purpose string) {
	s.mailing.Add(1)
	go func() {
		defer s.mailing.Done()
		ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
		defer cancel()
		if err := s.mailer.Send(ctx, msg); err != nil {
			s.log.Error("sending mail failed", "user_id", userID, "purpose", purpose, "err", err)
		}
	}()
}

// greeting is how mail addresses a user.
func greeting(first string) string {
	if first == "" {
		return "there"
	}
	return first
}
