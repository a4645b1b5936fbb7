package metrics

import (
	"net/http"
	"net/http/pprof"
)

// AdminHandler is what the admin listener (SPIDERGO_ADMIN_ADDR) serves:
// the metrics at /metrics and the Go profiler under /debug/pprof/. It is
// never mounted on the public address: profiles and metrics tell an
// attacker too much, and a CPU profile costs CPU.
func (m *Metrics) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	// pprof.Index serves the named profiles too (heap, allocs, goroutine,
	// mutex, block, threadcreate) under /debug/pprof/<name>.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("SpiderGo admin: /metrics, /debug/pprof/\n"))
	})
	return mux
}
