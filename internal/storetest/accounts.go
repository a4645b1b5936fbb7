package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spidergo/spidergo"
)

// runAccounts covers sessions, codes and OAuth identities.
func runAccounts(t *testing.T, newStore NewStore) {
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newStore(t)) })
	t.Run("SessionRotationRace", func(t *testing.T) { testRotationRace(t, newStore(t)) })
	t.Run("Codes", func(t *testing.T) { testCodes(t, newStore(t)) })
	t.Run("CodeAttemptsRace", func(t *testing.T) { testCodeRace(t, newStore(t)) })
	t.Run("Identities", func(t *testing.T) { testIdentities(t, newStore(t)) })
	t.Run("AccountCascade", func(t *testing.T) { testAccountCascade(t, newStore(t)) })
}

func mustUser(t *testing.T, s spidergo.Store, email string) *spidergo.User {
	t.Helper()
	u := &spidergo.User{Email: email, FirstName: "Test"}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// newSession makes a session for u whose token hashes derive from tag.
func newSession(t *testing.T, s spidergo.Store, u *spidergo.User, tag string, now time.Time) *spidergo.Session {
	t.Helper()
	sess := &spidergo.Session{
		UserID:           u.ID,
		AccessHash:       "access-" + tag,
		RefreshHash:      "refresh-" + tag,
		AccessExpiresAt:  now.Add(15 * time.Minute),
		RefreshExpiresAt: now.Add(7 * 24 * time.Hour),
		ExpiresAt:        now.Add(30 * 24 * time.Hour),
		CreatedAt:        now,
		UserAgent:        "test-agent",
		IP:               "192.0.2.1",
	}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func rotation(tag string, now time.Time) spidergo.SessionRotation {
	return spidergo.SessionRotation{
		AccessHash:       "access-" + tag,
		RefreshHash:      "refresh-" + tag,
		AccessExpiresAt:  now.Add(15 * time.Minute),
		RefreshExpiresAt: now.Add(7 * 24 * time.Hour),
	}
}

func testSessions(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	u := mustUser(t, s, "ada@example.com")
	sess := newSession(t, s, u, "1", now)
	if sess.ID == "" {
		t.Fatal("CreateSession did not fill ID")
	}

	got, err := s.SessionByAccessHash(ctx, "access-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sess, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("stored session (-want +got):\n%s", diff)
	}
	for name, at := range map[string]time.Time{
		"access expired":  now.Add(15 * time.Minute),
		"session expired": now.Add(31 * 24 * time.Hour),
	} {
		if _, err := s.SessionByAccessHash(ctx, "access-1", at); !errors.Is(err, spidergo.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.SessionByAccessHash(ctx, "refresh-1", now); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("refresh hash used as access hash: got %v, want ErrNotFound", err)
	}

	// Rotation replaces both tokens; the old ones stop working at once.
	later := now.Add(20 * time.Minute)
	rot, err := s.RotateSession(ctx, "refresh-1", rotation("2", later), later)
	if err != nil {
		t.Fatal(err)
	}
	if rot.ID != sess.ID || rot.UserID != u.ID || rot.AccessHash != "access-2" || !rot.LastUsedAt.Equal(later) {
		t.Errorf("rotated session = %+v", rot)
	}
	if !rot.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Errorf("rotation moved the absolute expiry: %v → %v", sess.ExpiresAt, rot.ExpiresAt)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-1", later); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("old access token after rotation: got %v, want ErrNotFound", err)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-2", later); err != nil {
		t.Errorf("new access token: %v", err)
	}

	// Presenting the retired refresh token again ends the whole session.
	if _, err := s.RotateSession(ctx, "refresh-1", rotation("3", later), later); !errors.Is(err, spidergo.ErrRefreshReused) {
		t.Fatalf("reused refresh token: got %v, want ErrRefreshReused", err)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-2", later); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("session still alive after refresh reuse: %v", err)
	}
	if _, err := s.RotateSession(ctx, "refresh-2", rotation("4", later), later); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("current refresh token of an ended session: got %v, want ErrNotFound", err)
	}
	if _, err := s.RotateSession(ctx, "never-issued", rotation("5", later), later); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("unknown refresh token: got %v, want ErrNotFound", err)
	}

	// An expired refresh token rotates nothing.
	old := newSession(t, s, u, "old", now)
	if _, err := s.RotateSession(ctx, "refresh-old", rotation("x", now), now.Add(8*24*time.Hour)); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("expired refresh token: got %v, want ErrNotFound", err)
	}

	// DeleteSession ends one session, DeleteUserSessions all of a user's.
	if err := s.DeleteSession(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, old.ID); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("DeleteSession twice: got %v, want ErrNotFound", err)
	}
	other := mustUser(t, s, "bob@example.com")
	newSession(t, s, u, "a", now)
	newSession(t, s, u, "b", now)
	newSession(t, s, other, "c", now)
	if err := s.DeleteUserSessions(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"a", "b"} {
		if _, err := s.SessionByAccessHash(ctx, "access-"+tag, now); !errors.Is(err, spidergo.ErrNotFound) {
			t.Errorf("session %s survived DeleteUserSessions: %v", tag, err)
		}
	}
	if _, err := s.SessionByAccessHash(ctx, "access-c", now); err != nil {
		t.Errorf("another user's session was ended: %v", err)
	}

	// DeleteExpired keeps live sessions and drops dead ones.
	if err := s.DeleteExpired(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-c", now); err != nil {
		t.Errorf("DeleteExpired removed a live session: %v", err)
	}
	if err := s.DeleteExpired(ctx, now.Add(8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-c", now); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("DeleteExpired kept a dead session: %v", err)
	}
}

// testRotationRace: many refreshes with one token at once; exactly one may
// succeed, and the rest end the session as reuses.
func testRotationRace(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	u := mustUser(t, s, "race@example.com")
	newSession(t, s, u, "0", now)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.RotateSession(ctx, "refresh-0", rotation(string(rune('a'+i)), now), now)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, spidergo.ErrRefreshReused), errors.Is(err, spidergo.ErrNotFound):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d racing rotations succeeded, want exactly 1", ok, n)
	}
}

func putCode(t *testing.T, s spidergo.Store, userID, purpose, hash string, now time.Time) {
	t.Helper()
	c := &spidergo.Code{UserID: userID, Purpose: purpose, Hash: hash, ExpiresAt: now.Add(10 * time.Minute)}
	if err := s.PutCode(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func testCodes(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	u := mustUser(t, s, "codes@example.com")
	v := mustUser(t, s, "other@example.com")
	invalid := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, spidergo.ErrCodeInvalid) {
			t.Errorf("%s: got %v, want ErrCodeInvalid", name, err)
		}
	}

	// Right code, right purpose, once.
	putCode(t, s, u.ID, spidergo.CodeVerifyEmail, "h1", now)
	invalid("other purpose", s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "h1", now))
	invalid("other user", s.UseCode(ctx, v.ID, spidergo.CodeVerifyEmail, "h1", now))
	if err := s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "h1", now); err != nil {
		t.Fatalf("right code: %v", err)
	}
	invalid("second use", s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "h1", now))

	// Expiry.
	putCode(t, s, u.ID, spidergo.CodeVerifyEmail, "h2", now)
	invalid("expired", s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "h2", now.Add(10*time.Minute)))

	// Four wrong guesses leave the fifth try; five burn the code.
	putCode(t, s, u.ID, spidergo.CodeVerifyEmail, "h3", now)
	for i := 1; i < spidergo.MaxCodeAttempts; i++ {
		invalid("wrong guess", s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "nope", now))
	}
	if err := s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "h3", now); err != nil {
		t.Errorf("right code on the last try: %v", err)
	}
	putCode(t, s, u.ID, spidergo.CodeVerifyEmail, "h4", now)
	for range spidergo.MaxCodeAttempts {
		invalid("wrong guess", s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "nope", now))
	}
	invalid("right code after it burnt", s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "h4", now))

	// A new code replaces the old and starts with fresh attempts.
	putCode(t, s, u.ID, spidergo.CodeResetPassword, "old", now)
	for range spidergo.MaxCodeAttempts - 1 {
		invalid("wrong guess", s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "nope", now))
	}
	putCode(t, s, u.ID, spidergo.CodeResetPassword, "new", now)
	invalid("replaced code", s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "old", now))
	if err := s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "new", now); err != nil {
		t.Errorf("new code after replacement: %v", err)
	}

	// DeleteCodes drops only the purposes named.
	putCode(t, s, u.ID, spidergo.CodeResetPassword, "r", now)
	putCode(t, s, u.ID, spidergo.CodeResetToken, "t", now)
	putCode(t, s, u.ID, spidergo.CodeVerifyEmail, "v", now)
	if err := s.DeleteCodes(ctx, u.ID, spidergo.CodeResetPassword, spidergo.CodeResetToken); err != nil {
		t.Fatal(err)
	}
	invalid("deleted reset code", s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "r", now))
	invalid("deleted reset token", s.UseCode(ctx, u.ID, spidergo.CodeResetToken, "t", now))
	if err := s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "v", now); err != nil {
		t.Errorf("code of another purpose was deleted: %v", err)
	}

	// DeleteExpired drops dead codes only.
	putCode(t, s, u.ID, spidergo.CodeVerifyEmail, "live", now)
	if err := s.DeleteExpired(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "live", now); err != nil {
		t.Errorf("DeleteExpired removed a live code: %v", err)
	}
}

// testCodeRace: parallel guesses all pay for their try, and one right code
// used twice at once succeeds once.
func testCodeRace(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	u := mustUser(t, s, "guess@example.com")
	putCode(t, s, u.ID, spidergo.CodeResetPassword, "right", now)
	var wg sync.WaitGroup
	for range 3 * spidergo.MaxCodeAttempts {
		wg.Go(func() { s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "wrong", now) })
	}
	wg.Wait()
	if err := s.UseCode(ctx, u.ID, spidergo.CodeResetPassword, "right", now); !errors.Is(err, spidergo.ErrCodeInvalid) {
		t.Errorf("code survived %d parallel wrong guesses: %v", 3*spidergo.MaxCodeAttempts, err)
	}

	putCode(t, s, u.ID, spidergo.CodeResetToken, "token", now)
	const n = 4
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = s.UseCode(ctx, u.ID, spidergo.CodeResetToken, "token", now) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("one code used %d times by racing calls, want 1", ok)
	}
}

func testIdentities(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "linked@example.com")
	id := &spidergo.Identity{Provider: "github", Subject: "42", UserID: u.ID, Email: "linked@example.com"}
	if err := s.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err := s.IdentityBySubject(ctx, "github", "42")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(id, got, cmpopts.EquateApproxTime(time.Millisecond)); diff != "" {
		t.Errorf("stored identity (-want +got):\n%s", diff)
	}
	if _, err := s.IdentityBySubject(ctx, "google", "42"); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("same subject, other provider: got %v, want ErrNotFound", err)
	}
	v := mustUser(t, s, "thief@example.com")
	dup := &spidergo.Identity{Provider: "github", Subject: "42", UserID: v.ID}
	if err := s.CreateIdentity(ctx, dup); !errors.Is(err, spidergo.ErrIdentityLinked) {
		t.Errorf("linking a linked identity again: got %v, want ErrIdentityLinked", err)
	}
}

// testAccountCascade: deleting an account removes its sessions, codes and
// identities, and nothing of another account.
func testAccountCascade(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	now := time.Now().UTC()
	u := mustUser(t, s, "gone@example.com")
	v := mustUser(t, s, "stays@example.com")
	for _, x := range []*spidergo.User{u, v} {
		newSession(t, s, x, x.ID, now)
		putCode(t, s, x.ID, spidergo.CodeVerifyEmail, "code-"+x.ID, now)
		if err := s.CreateIdentity(ctx, &spidergo.Identity{Provider: "google", Subject: x.ID, UserID: x.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RotateSession(ctx, "refresh-"+u.ID, rotation("rotated-"+u.ID, now), now); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-rotated-"+u.ID, now); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("session outlived its account: %v", err)
	}
	if _, err := s.IdentityBySubject(ctx, "google", u.ID); !errors.Is(err, spidergo.ErrNotFound) {
		t.Errorf("identity outlived its account: %v", err)
	}
	if err := s.UseCode(ctx, u.ID, spidergo.CodeVerifyEmail, "code-"+u.ID, now); !errors.Is(err, spidergo.ErrCodeInvalid) {
		t.Errorf("code outlived its account: %v", err)
	}
	if _, err := s.SessionByAccessHash(ctx, "access-"+v.ID, now); err != nil {
		t.Errorf("other account's session: %v", err)
	}
	if _, err := s.IdentityBySubject(ctx, "google", v.ID); err != nil {
		t.Errorf("other account's identity: %v", err)
	}
	if err := s.UseCode(ctx, v.ID, spidergo.CodeVerifyEmail, "code-"+v.ID, now); err != nil {
		t.Errorf("other account's code: %v", err)
	}
}
