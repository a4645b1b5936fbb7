// Package storetest is the conformance suite every spidergo.Store must
// pass. Each storage backend's tests call Run with a constructor that
// returns a fresh, empty, migrated store.
package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spidergo/spidergo"
)

// NewStore returns an empty, migrated store; it registers its own cleanup.
type NewStore func(t *testing.T) spidergo.Store

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Users", func(t *testing.T) { testUsers(t, newStore(t)) })
	runAccounts(t, newStore)
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, newStore(t)) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, newStore(t)) })
	t.Run("WebhookSecret", func(t *testing.T) { testWebhookSecret(t, newStore(t)) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, newStore(t)) })
	t.Run("FrontierRace", func(t *testing.T) { testFrontierRace(t, newStore(t)) })
	t.Run("FrontierClaimRace", func(t *testing.T) { testFrontierClaimRace(t, newStore(t)) })
	t.Run("FrontierLease", func(t *testing.T) { testFrontierLease(t, newStore(t)) })
	t.Run("FrontierAdmit", func(t *testing.T) { testFrontierAdmit(t, newStore(t)) })
	t.Run("FrontierAdmitRace", func(t *testing.T) { testFrontierAdmitRace(t, newStore(t)) })
	t.Run("FrontierTakeover", func(t *testing.T) { testFrontierTakeover(t, newStore(t)) })
	t.Run("JobSlots", func(t *testing.T) { testJobSlots(t, newStore(t)) })
	t.Run("CountPage", func(t *testing.T) { testCountPage(t, newStore(t)) })
	t.Run("AddPages", func(t *testing.T) { testAddPages(t, newStore(t)) })
	t.Run("Retention", func(t *testing.T) { testRetention(t, newStore(t)) })
}

func testUsers(t *testing.T, s spidergo.Store) {
	ctx := context.Background()
	u := &spidergo.User{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", PasswordHash: "h"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.ID == "" || u.CreatedAt.IsZero() {
		t.Fatalf("CreateUser did not fill ID and CreatedAt: %+v", u)
	}
	// Conflicts are told by the drivers' error codes and reported as the
	// sentinels the services word for people.
	dup := &spidergo.User{Email: "ada@example.com"}
	if err := s.CreateUser(ctx, dup); !errors.Is(err, spidergo.ErrEmailTaken) {
		t.Fatalf("duplicate email: got %v, want ErrEmailTaken", err)
	}

	byID, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	byEmail, err := s.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	opts := cmpopts.EquateApproxTime(1e6) // stored with millisecond precision
	if diff := cmp.Diff(byID, byEmail, opts); diff != "" {
		t.Errorf("by id vs by email (-id +email):\n%s", diff)
	}
	if diff := cmp.Diff(u, byID, opts); diff != "" {
		t.Errorf("stored user (-want +got):\n%s", diff)
	}

	byID.IsVerified = true
	byID.FirstName = "Augusta"
	if err := s.UpdateUser(ctx, byID); err != nil {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if !got.IsVerified || got.FirstName != "Augusta" {
		t.Errorf("update not stored: %+v", got)
	}

	other := &spidergo.User{Email: "bob@example.com"}
	if err := s.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	taken := *other
	taken.Email = "ada@example.com"
	if err := s.UpdateUser(ctx, &taken); !errors.Is(err, spidergo.ErrEmailTaken) {
		t.Fatalf("changing an email to a taken one: got %v, want ErrEmailTaken", err)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListUsers = %d users, %v; want 2", len(list), err)
	}

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"UserByID after delete": second(s.UserByID(ctx, u.ID)),
		"UserByEmail unknown":   second(s.UserByEmail(ctx, "nobody@example.com")),
		"DeleteUser twice":      s.DeleteUser(ctx, u.ID),
		"UpdateUser deleted":    s.UpdateUser(ctx, u),
	} {
		if !errors.Is(err, spidergo.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }
