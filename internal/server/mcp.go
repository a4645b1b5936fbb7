package server

import (
	"context"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/crawl"
	"github.com/spidergo/spidergo/internal/mcp"
)

// newMCP builds the handler of /mcp: SpiderGo's MCP tools over streamable
// HTTP for the holder of an API key. Each request passes the /v1 gate
// first; each tool call that starts a job takes one quota unit, as the
// same /v1 request would.
func (s *Server) newMCP() http.Handler {
	srv := mcp.NewServer(mcp.Config{Version: spidergo.Version, Poll: s.mcpPoll,
		Backend: func(_ context.Context, req *sdk.CallToolRequest) (mcp.Backend, error) {
			ti := req.Extra.TokenInfo
			if ti == nil || ti.UserID == "" {
				return nil, spidergo.Errorf(spidergo.EUNAUTHORIZED, "Missing API key.")
			}
			secret, _ := ti.Extra["key"].(string)
			keyID, _ := ti.Extra["key_id"].(string)
			return &mcp.JobsBackend{Jobs: s.jobs.svc, Actor: crawl.Actor{UserID: ti.UserID, KeyID: keyID},
				Charge: func(ctx context.Context) (func(), error) {
					g, err := s.keys.Authorize(ctx, secret, true)
					if err != nil {
						return nil, err
					}
					return g.Refund, nil
				}}, nil
		}})
	// The gate has checked the key: hand its owner to the SDK, which ties
	// each session to the user that opened it.
	verified := func(ctx context.Context, token string, r *http.Request) (*auth.TokenInfo, error) {
		return &auth.TokenInfo{UserID: userIDFrom(r.Context()), Expiration: s.now().Add(time.Hour),
			Extra: map[string]any{"key": token, "key_id": keyIDFrom(r.Context())}}, nil
	}
	return auth.RequireBearerToken(verified, nil)(mcp.NewHTTPHandler(srv))
}

// handleMCP serves one MCP request behind the gate.
func (s *Server) handleMCP(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	s.mcp.ServeHTTP(w, r.WithContext(ctx))
	return nil
}
