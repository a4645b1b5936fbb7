package spidergo

import "context"

// Store is the whole persistence layer. SpiderGo ships one implementation
// over SQLite (embedded mode) and PostgreSQL (scaled-out mode); both must
// pass the conformance suite in internal/storetest.
type Store interface {
	UserStore
	SessionStore
	CodeStore
	IdentityStore
	APIKeyStore
	JobStore
	DeliveryStore

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
