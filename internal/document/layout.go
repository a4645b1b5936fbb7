package document

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// rect is a run of text on a PDF page in one font, in points, y growing
// upwards.
type rect struct {
	text                     string
	left, right, top, bottom float64
	size                     float64
	bold                     bool
}

// line is a row of text: its runs left to right, grouped in cells where a
// wide gap separates them.
type line struct {
	cells       []lineCell
	left, right float64
	top, bottom float64
	size        float64 // the size most of its characters have
	bold        bool    // every run is bold
}

type lineCell struct {
	text string
	left float64
}

func (l *line) text() string {
	parts := make([]string, len(l.cells))
	for i, c := range l.cells {
		parts[i] = c.text
	}
	return strings.Join(parts, " ")
}

var (
	bulletRe  = regexp.MustCompile(`^[•◦▪▫●○■□‣⁃∙·\-–—*]\s+`)
	orderedRe = regexp.MustCompile(`^(\d{1,3}|[a-zA-Z]|[ivxIVX]{1,5})[.)]\s+`)
	numberRe  = regexp.MustCompile(`^(?i:(page\s+)?\d{1,5}(\s*(/|of)\s*\d{1,5})?)$`)
)

// layout turns the runs of each page into blocks: headings from font
// sizes, paragraphs from line spacing, list items from their markers,
// tables from rows of aligned cells, and a page break between pages.
func layout(pages [][]rect) []block {
	lines := make([][]line, len(pages))
	weights := map[float64]int{}
	for i, rs := range pages {
		lines[i] = groupLines(rs)
		for _, l := range lines[i] {
			weights[roundSize(l.size)] += len([]rune(l.text()))
		}
	}
	body := 0.0
	best := -1
	for s, w := range weights {
		if w > best || w == best && s < body {
			body, best = s, w
		}
	}
	var bigger []float64
	for s := range weights {
		if s >= body*1.15 && s-body >= 1 {
			bigger = append(bigger, s)
		}
	}
	slices.SortFunc(bigger, func(a, b float64) int { return int(math.Copysign(1, b-a)) })
	level := func(size float64) int {
		i := slices.Index(bigger, roundSize(size))
		if i < 0 {
			return 0
		}
		return min(i+1, 5)
	}
	var out []block
	for i, ls := range lines {
		if i > 0 {
			out = append(out, block{kind: bPageBreak})
		}
		out = append(out, pageBlocks(ls, level, len(bigger)+1)...)
	}
	// Page breaks around nothing say nothing.
	for len(out) > 0 && out[len(out)-1].kind == bPageBreak {
		out = out[:len(out)-1]
	}
	return out
}

func roundSize(s float64) float64 { return math.Round(s*2) / 2 }

// groupLines puts runs on the same baseline in one line, top to bottom.
func groupLines(rs []rect) []line {
	var lines []line
	var members [][]rect
	for _, r := range rs {
		if strings.TrimSpace(r.text) == "" {
			continue
		}
		found := -1
		for i := len(lines) - 1; i >= 0 && i >= len(lines)-8; i-- {
			l := lines[i]
			overlap := math.Min(l.top, r.top) - math.Max(l.bottom, r.bottom)
			h := math.Min(l.top-l.bottom, r.top-r.bottom)
			if h > 0 && overlap >= 0.5*h {
				found = i
				break
			}
		}
		if found < 0 {
			lines = append(lines, line{top: r.top, bottom: r.bottom})
			members = append(members, nil)
			found = len(lines) - 1
		}
		l := &lines[found]
		l.top, l.bottom = math.Max(l.top, r.top), math.Min(l.bottom, r.bottom)
		members[found] = append(members[found], r)
	}
	for i := range lines {
		lines[i] = finishLine(lines[i], members[i])
	}
	slices.SortStableFunc(lines, func(a, b line) int {
		switch {
		case a.top > b.top+1:
			return -1
		case b.top > a.top+1:
			return 1
		}
		return 0
	})
	return lines
}

func finishLine(l line, rs []rect) line {
	slices.SortStableFunc(rs, func(a, b rect) int { return int(math.Copysign(1, a.left-b.left)) })
	sizes := map[float64]int{}
	l.bold = true
	l.left, l.right = rs[0].left, rs[0].right
	var cur *lineCell
	prevRight, prevSize := 0.0, 0.0
	for i, r := range rs {
		n := len([]rune(strings.TrimSpace(r.text)))
		sizes[roundSize(r.size)] += n
		if !r.bold && n > 0 {
			l.bold = false
		}
		l.right = math.Max(l.right, r.right)
		gap := r.left - prevRight
		em := math.Max(math.Max(r.size, prevSize), 1)
		switch {
		case i == 0 || gap > 2*em:
			l.cells = append(l.cells, lineCell{text: strings.TrimSpace(r.text), left: r.left})
			cur = &l.cells[len(l.cells)-1]
		case gap > 0.15*em && !strings.HasSuffix(cur.text, " ") && !strings.HasPrefix(r.text, " "):
			cur.text += " " + strings.TrimSpace(r.text)
		default:
			cur.text = strings.TrimSpace(cur.text + r.text)
		}
		prevRight, prevSize = r.right, r.size
	}
	for i := range l.cells {
		l.cells[i].text = collapse(l.cells[i].text)
	}
	best := -1
	for s, w := range sizes {
		if w > best || w == best && s > l.size {
			l.size, best = s, w
		}
	}
	return l
}

// pageBlocks makes the blocks of one page's lines.
func pageBlocks(ls []line, level func(float64) int, boldLevel int) []block {
	// A bare page number first or last on the page is furniture.
	if len(ls) > 0 && numberRe.MatchString(ls[len(ls)-1].text()) {
		ls = ls[:len(ls)-1]
	}
	if len(ls) > 0 && numberRe.MatchString(ls[0].text()) {
		ls = ls[1:]
	}
	var out []block
	var para *block
	var paraLine line
	flush := func() {
		if para != nil {
			para.md = escapeMD(para.text)
			if para.kind == bItem {
				para.md = escapeInline(para.text)
			}
			out = append(out, *para)
			para = nil
		}
	}
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		// A run of two or more rows with the same number (≥ 2) of cells is
		// a table.
		if len(l.cells) >= 2 {
			j := i + 1
			for j < len(ls) && len(ls[j].cells) == len(l.cells) && level(ls[j].size) == 0 {
				j++
			}
			if j-i >= 2 {
				flush()
				var rows [][]cell
				for _, r := range ls[i:j] {
					row := make([]cell, len(r.cells))
					for k, c := range r.cells {
						row[k] = cell{md: escapeInline(c.text), text: c.text}
					}
					rows = append(rows, row)
				}
				out = append(out, block{kind: bTable, rows: rows})
				i = j - 1
				continue
			}
		}
		t := l.text()
		lv := level(l.size)
		if lv == 0 && l.bold && len(t) <= 100 && !strings.HasSuffix(t, ".") && !strings.HasSuffix(t, ":") {
			lv = min(boldLevel, 6)
		}
		if lv > 0 && len(t) <= 300 {
			if para != nil && para.kind == bHeading && para.level == lv && near(paraLine, l) {
				para.text += " " + t
				paraLine = l
				continue
			}
			flush()
			para = &block{kind: bHeading, level: lv, text: t}
			paraLine = l
			continue
		}
		if m := bulletRe.FindString(t); m != "" && len(t) > len(m) {
			flush()
			para = &block{kind: bItem, text: t[len(m):]}
			paraLine = l
			continue
		}
		if m := orderedRe.FindString(t); m != "" && len(t) > len(m) && (para == nil || para.kind != bPara || !near(paraLine, l)) {
			flush()
			para = &block{kind: bItem, ordered: true, text: t[len(m):]}
			paraLine = l
			continue
		}
		if para != nil && para.kind != bHeading && near(paraLine, l) && (para.kind != bItem || l.left > paraLine.left-1) {
			para.text = joinLines(para.text, t)
			paraLine = l
			continue
		}
		flush()
		para = &block{kind: bPara, text: t}
		paraLine = l
	}
	flush()
	for i := range out {
		if out[i].kind == bHeading {
			out[i].md = escapeInline(out[i].text)
		}
	}
	return out
}

// near reports whether b follows a with ordinary line spacing: a wider
// gap starts a new paragraph.
func near(a, b line) bool {
	gap := a.bottom - b.top
	return gap < 0.8*math.Max(a.size, b.size) && math.Abs(a.size-b.size) < 1
}

// joinLines joins a wrapped line to the text before it; a word hyphenated
// at the end of the line is put back together.
func joinLines(a, b string) string {
	if strings.HasSuffix(a, "-") && len(a) > 1 {
		r := []rune(a)
		nb := []rune(b)
		if unicode.IsLetter(r[len(r)-2]) && len(nb) > 0 && unicode.IsLower(nb[0]) {
			return a[:len(a)-1] + b
		}
	}
	return a + " " + b
}

// escapeInline escapes Markdown in text that sits after a block marker.
func escapeInline(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '`', '[', ']', '<', '>':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
