// Package spidergo holds SpiderGo's domain types, its error values and the
// storage interface every backend implements. It imports nothing of the
// project's own so that every other package can depend on it.
package spidergo

import (
	"crypto/rand"
	"encoding/hex"
)

// Version is the release this binary was built from; the build sets it with
// -ldflags "-X github.com/spidergo/spidergo.Version=…".
var Version = "dev"

// NewID returns a random 128-bit identifier in hex. IDs are random rather
// than sequential so that one user cannot guess or count another's objects.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: since Go 1.24 a broken source crashes the program
	return hex.EncodeToString(b[:])
}
