package mcp

import (
	"net/http"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// SessionTimeout closes an HTTP session idle this long; the client opens
// a new one.
const SessionTimeout = 30 * time.Minute

// NewHTTPHandler serves s over streamable HTTP. Authentication is the
// caller's: it must put the request's auth.TokenInfo in the context (the
// SDK's auth.RequireBearerToken does), whose UserID binds a session to
// one user so that no other key can use it.
func NewHTTPHandler(s *sdk.Server) http.Handler {
	return sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s },
		&sdk.StreamableHTTPOptions{SessionTimeout: SessionTimeout})
}
