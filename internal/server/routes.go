package server

import "net/http"

// handlerFunc is an HTTP handler that returns its error instead of writing
// it; wrap turns the error into the response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	pattern string
	h       handlerFunc
}

// routes is the whole HTTP surface in one table.
func (s *Server) routes() []route {
	return []route{
		{"GET /healthz", s.handleHealthz},
		{"GET /readyz", s.handleReadyz},
	}
}
