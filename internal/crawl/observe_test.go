package crawl

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/api"
	"github.com/spidergo/spidergo/internal/storetest"
)

// recordingObserver keeps what the engine and the job service report.
type recordingObserver struct {
	mu        sync.Mutex
	started   []string
	finished  []string // kind/state
	pages     map[string]int
	extracted int
	admitted  int
	saved     int
}

func (o *recordingObserver) JobStarted(kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, kind)
}

func (o *recordingObserver) JobFinished(kind, state string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, kind+"/"+state)
}

func (o *recordingObserver) PageDone(outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pages[outcome]++
}

func (o *recordingObserver) Extracted(time.Duration) { o.mu.Lock(); o.extracted++; o.mu.Unlock() }
func (o *recordingObserver) FrontierAdded(n int)     { o.mu.Lock(); o.admitted += n; o.mu.Unlock() }
func (o *recordingObserver) PageSaved(time.Duration) { o.mu.Lock(); o.saved++; o.mu.Unlock() }

// syncBuffer is a log sink safe for the job's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestJobsObservedAndLogged runs each kind of job and checks what the
// observer was told and that the job's log lines carry its CRID.
func TestJobsObservedAndLogged(t *testing.T) {
	site := newTestSite(t, map[string]string{
		"/":  page("home", "/a", "/b", "/missing"),
		"/a": page("a"),
		"/b": page("b"),
	})
	yes := true
	tests := []struct {
		name      string
		kind      string
		req       api.Request
		trial     bool
		wantPages map[string]int
		wantSaved int
	}{
		{"scrape", spidergo.KindScrape, api.Request{URL: site.URL + "/"}, false, map[string]int{"ok": 1}, 1},
		{"crawl", spidergo.KindCrawl, api.Request{URL: site.URL + "/"}, false, map[string]int{"ok": 3, "http_4xx": 1}, 4},
		{"async crawl", spidergo.KindCrawl, api.Request{URL: site.URL + "/", Async: &yes}, false, map[string]int{"ok": 3, "http_4xx": 1}, 4},
		{"trial", spidergo.KindScrape, api.Request{URL: site.URL + "/a"}, true, map[string]int{"ok": 1}, 0},
		{"map", spidergo.KindMap, api.Request{URL: site.URL + "/"}, false, map[string]int{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := storetest.SQLite(t)
			u := &spidergo.User{Email: "observe@example.com"}
			if err := store.CreateUser(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			obs := &recordingObserver{pages: map[string]int{}}
			logs := &syncBuffer{}
			jobs := NewJobs(JobsConfig{Store: store, Engine: NewEngine(EngineConfig{Fetcher: newTestFetcher(t, site.Server), Observer: obs}),
				Log: slog.New(slog.NewJSONHandler(logs, nil)), Normalize: testNormalize, Observer: obs, Owner: "test"})
			defer jobs.Close()
			st, err := jobs.Start(context.Background(), Actor{UserID: u.ID, Trial: tt.trial}, tt.kind, &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			// An async job ends after Start answers.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				obs.mu.Lock()
				n := len(obs.finished)
				obs.mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the job never finished")
				}
			}
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if diff := cmp.Diff([]string{tt.kind}, obs.started); diff != "" {
				t.Errorf("started (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.kind + "/completed"}, obs.finished); diff != "" {
				t.Errorf("finished (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPages, obs.pages); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
			pages := 0
			for _, n := range tt.wantPages {
				pages += n
			}
			if obs.admitted != pages {
				t.Errorf("admitted %d URLs, want %d", obs.admitted, pages)
			}
			if obs.extracted != tt.wantPages["ok"] {
				t.Errorf("extracted %d pages, want %d", obs.extracted, tt.wantPages["ok"])
			}
			if obs.saved != tt.wantSaved {
				t.Errorf("saved %d pages in the store, want %d", obs.saved, tt.wantSaved)
			}

			var sawStart, sawEnd bool
			for _, l := range logs.lines(t) {
				msg, _ := l["msg"].(string)
				if !strings.HasPrefix(msg, "job ") {
					continue
				}
				if l["crid"] != st.Envelope.CRID || l["kind"] != tt.kind {
					t.Errorf("%q line: crid %v kind %v, want %s %s", msg, l["crid"], l["kind"], st.Envelope.CRID, tt.kind)
				}
				switch msg {
				case "job started":
					sawStart = true
				case "job finished":
					sawEnd = true
					if l["state"] != "completed" || l["pages"] != float64(pages) || l["duration"] == nil {
						t.Errorf("finish line %v: want state completed, %d pages and a duration", l, pages)
					}
				}
			}
			if !sawStart || !sawEnd {
				t.Errorf("start line %v, finish line %v: want both", sawStart, sawEnd)
			}
		})
	}
}
