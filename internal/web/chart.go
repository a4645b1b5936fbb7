package web

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/spidergo/spidergo/api"
)

// The usage chart is an inline SVG drawn on the server: no script, no
// external asset, and it scales with the page. Colours come from
// presentation attributes and the stylesheet, since the
// Content-Security-Policy allows no inline style.
const (
	chartW, chartH   = 640, 220
	chartLeft        = 44 // room for the y-axis labels
	chartBottom      = 28 // room for the x-axis labels
	chartTop         = 12
	chartRight       = 8
	chartPlotW       = chartW - chartLeft - chartRight
	chartPlotH       = chartH - chartTop - chartBottom
	chartGapFraction = 0.25
)

type chartBar struct {
	X, Y, W, H float64
	Label      string
	Day        string
	Used       int
}

type chartTick struct {
	Y     float64
	Label string
}

type chartData struct {
	ID, Title, Desc string
	W, H            int
	Left, Bottom    float64
	Right           float64
	Bars            []chartBar
	Ticks           []chartTick
	XLabels         []chartBar
}

var chartTmpl = template.Must(template.New("chart").Parse(`<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-labelledby="{{.ID}}-t {{.ID}}-d" focusable="false">
<title id="{{.ID}}-t">{{.Title}}</title><desc id="{{.ID}}-d">{{.Desc}}</desc>
{{range .Ticks}}<line class="grid" x1="{{$.Left}}" x2="{{$.Right}}" y1="{{.Y}}" y2="{{.Y}}"/><text class="axis" x="{{$.Left}}" dx="-6" y="{{.Y}}" dy="4" text-anchor="end">{{.Label}}</text>
{{end}}{{range .Bars}}<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"><title>{{.Day}}: {{.Used}} requests</title></rect>
{{end}}<line class="baseline" x1="{{.Left}}" x2="{{.Right}}" y1="{{.Bottom}}" y2="{{.Bottom}}"/>
{{range .XLabels}}<text class="axis" x="{{.X}}" y="{{$.H}}" dy="-8" text-anchor="middle">{{.Label}}</text>
{{end}}</svg>`))

// usageChart draws one bar per day. The y axis ends at a round number
// above the busiest day, so a quiet key's bars are still visible.
func usageChart(id, name string, days []api.DayUsage, limit int) template.HTML {
	peak := 0
	total := 0
	for _, d := range days {
		peak = max(peak, d.Used)
		total += d.Used
	}
	top := niceCeil(peak)
	d := chartData{
		ID: "chart-" + idSafe(id), W: chartW, H: chartH,
		Title:  fmt.Sprintf("Requests per day with %s over the last %d days", name, len(days)),
		Left:   chartLeft,
		Right:  chartW - chartRight,
		Bottom: chartTop + chartPlotH,
	}
	if len(days) > 0 {
		d.Desc = fmt.Sprintf("%d requests from %s to %s; the busiest day had %d; the daily limit is %d.", total, days[0].Day, days[len(days)-1].Day, peak, limit)
	}
	slot := float64(chartPlotW) / float64(max(len(days), 1))
	for i, day := range days {
		h := float64(day.Used) / float64(top) * chartPlotH
		b := chartBar{
			X: round1(chartLeft + float64(i)*slot + slot*chartGapFraction/2), W: round1(slot * (1 - chartGapFraction)),
			Y: round1(chartTop + chartPlotH - h), H: round1(h), Day: day.Day, Used: day.Used,
		}
		d.Bars = append(d.Bars, b)
		// A label every week, ending on today, keeps them readable on a phone.
		if (len(days)-1-i)%7 == 0 && len(day.Day) == len("2006-01-02") {
			d.XLabels = append(d.XLabels, chartBar{X: round1(b.X + b.W/2), Label: day.Day[5:]})
		}
	}
	for _, f := range []int{0, 1, 2, 3, 4} {
		v := top * f / 4
		d.Ticks = append(d.Ticks, chartTick{Y: round1(chartTop + chartPlotH - float64(v)/float64(top)*chartPlotH), Label: fmt.Sprint(v)})
	}
	var buf bytes.Buffer
	if err := chartTmpl.Execute(&buf, d); err != nil {
		return ""
	}
	return template.HTML(buf.String()) // built by html/template above
}

// niceCeil rounds n up to 4, 8, 20, 40, 80, 200 … so that the four grid
// steps are whole numbers.
func niceCeil(n int) int {
	for step := 1; ; step *= 10 {
		for _, m := range []int{4, 8, 20} {
			if n <= m*step {
				return m * step
			}
		}
	}
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// idSafe keeps letters and digits of s, for element ids.
func idSafe(s string) string {
	var b []byte
	for i := 0; i < len(s) && len(b) < 40; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}
