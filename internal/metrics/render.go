package metrics

import "github.com/prometheus/client_golang/prometheus"

// RendererStats is the headless browser's state as the renderer reports
// it (render.Browser.Status): read once per scrape, so rendering itself
// carries no metrics code.
type RendererStats struct {
	Running          bool // a browser process is up
	Concurrency      int  // tabs the pool allows
	Busy, Waiting    int  // tabs rendering now; renders queued for a tab
	Starts, Restarts int64
	Rendered, Failed int64
	Refused          int64 // connections the address guard refused at the browser's proxy
}

// WatchRenderer exports the renderer's pool and counts, read from stats at
// each scrape. Call it once, when the renderer is built.
func (m *Metrics) WatchRenderer(stats func() RendererStats) {
	m.reg.MustRegister(&rendererCollector{stats: stats})
}

var (
	renderUp = prometheus.NewDesc("spidergo_render_browser_up",
		"1 while the headless browser process runs (it starts on the first render).", nil, nil)
	renderTabs = prometheus.NewDesc("spidergo_render_tabs",
		"Tabs the renderer's pool allows at once.", nil, nil)
	renderBusy = prometheus.NewDesc("spidergo_render_tabs_busy",
		"Tabs rendering a page now.", nil, nil)
	renderWaiting = prometheus.NewDesc("spidergo_render_queue_depth",
		"Renders waiting for a free tab.", nil, nil)
	renderStarts = prometheus.NewDesc("spidergo_render_browser_starts_total",
		"Browser processes started, restarts included.", nil, nil)
	renderRestarts = prometheus.NewDesc("spidergo_render_browser_restarts_total",
		"Browser processes started again after a crash or a hang.", nil, nil)
	renderPages = prometheus.NewDesc("spidergo_render_pages_total",
		"Pages the browser rendered, by outcome: ok or failed.", []string{"outcome"}, nil)
	renderRefused = prometheus.NewDesc("spidergo_render_guard_refusals_total",
		"Connections of the browser the address guard refused (private addresses, disallowed ports).", nil, nil)
)

type rendererCollector struct {
	stats func() RendererStats
}

func (c *rendererCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{renderUp, renderTabs, renderBusy, renderWaiting, renderStarts, renderRestarts, renderPages, renderRefused} {
		ch <- d
	}
}

func (c *rendererCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	up := 0.0
	if s.Running {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(renderUp, prometheus.GaugeValue, up)
	ch <- prometheus.MustNewConstMetric(renderTabs, prometheus.GaugeValue, float64(s.Concurrency))
	ch <- prometheus.MustNewConstMetric(renderBusy, prometheus.GaugeValue, float64(s.Busy))
	ch <- prometheus.MustNewConstMetric(renderWaiting, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(renderStarts, prometheus.CounterValue, float64(s.Starts))
	ch <- prometheus.MustNewConstMetric(renderRestarts, prometheus.CounterValue, float64(s.Restarts))
	ch <- prometheus.MustNewConstMetric(renderPages, prometheus.CounterValue, float64(s.Rendered), "ok")
	ch <- prometheus.MustNewConstMetric(renderPages, prometheus.CounterValue, float64(s.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(renderRefused, prometheus.CounterValue, float64(s.Refused))
}
