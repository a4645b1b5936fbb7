package document

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// blockKind is what a block of a converted document is.
type blockKind int

const (
	bPara blockKind = iota
	bHeading
	bItem
	bTable
	bPageBreak
)

// block is one unit of a converted document; md is its Markdown, text its
// plain text (inline formatting differs between them).
type block struct {
	kind    blockKind
	level   int  // heading level (1–6), or list depth from 0
	ordered bool // list item
	md      string
	text    string
	rows    [][]cell // table
}

type cell struct{ md, text string }

// render writes blocks as Markdown and as text. Pages are separated by a
// thematic break ("---") in Markdown and by a form feed in text.
func render(blocks []block) (md, text string) {
	var m, t strings.Builder
	counters := map[int]int{} // ordered item numbers by depth
	prev := bPageBreak
	first := true
	for _, b := range blocks {
		if b.kind == bPara && strings.TrimSpace(b.md) == "" {
			continue
		}
		if !first {
			if b.kind == bItem && prev == bItem {
				m.WriteString("\n")
				t.WriteString("\n")
			} else {
				m.WriteString("\n\n")
				t.WriteString("\n\n")
			}
		}
		if b.kind != bItem {
			clear(counters)
		}
		first = false
		prev = b.kind
		switch b.kind {
		case bHeading:
			m.WriteString(strings.Repeat("#", min(max(b.level, 1), 6)) + " " + b.md)
			t.WriteString(b.text)
		case bPara:
			m.WriteString(b.md)
			t.WriteString(b.text)
		case bItem:
			for d := range counters {
				if d > b.level {
					delete(counters, d)
				}
			}
			indent := strings.Repeat("   ", b.level)
			marker := "- "
			if b.ordered {
				counters[b.level]++
				marker = strconv.Itoa(counters[b.level]) + ". "
			} else {
				counters[b.level] = 0
			}
			m.WriteString(indent + marker + b.md)
			t.WriteString(indent + marker + b.text)
		case bTable:
			writeTable(&m, &t, b.rows)
		case bPageBreak:
			m.WriteString("---")
			t.WriteString("\f")
		}
	}
	return strings.TrimSpace(m.String()) + "\n", strings.TrimSpace(t.String()) + "\n"
}

func writeTable(m, t *strings.Builder, rows [][]cell) {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	for i, r := range rows {
		if i > 0 {
			m.WriteString("\n")
			t.WriteString("\n")
		}
		m.WriteString("|")
		for c := range cols {
			v := ""
			if c < len(r) {
				v = strings.ReplaceAll(strings.ReplaceAll(r[c].md, "\n", " "), "|", `\|`)
				if c > 0 {
					t.WriteString("\t")
				}
				t.WriteString(strings.ReplaceAll(r[c].text, "\n", " "))
			}
			m.WriteString(" " + v + " |")
		}
		if i == 0 {
			m.WriteString("\n|" + strings.Repeat(" --- |", cols))
		}
	}
}

// escapeMD escapes the characters that would make plain text read as
// Markdown: emphasis, code, links, HTML and block markers at the start.
func escapeMD(s string) string { return escapeLead(escapeInline(s)) }

// collapse folds runs of white space into one space.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// linkSet collects links in order, without repeats: http(s) URLs and
// relative references (resolved against the document's URL later);
// mailto:, javascript: and other schemes are left out.
type linkSet struct {
	seen map[string]bool
	list []string
}

func (l *linkSet) add(u string) {
	u = strings.TrimSpace(u)
	if u == "" || strings.HasPrefix(u, "#") {
		return
	}
	if pu, err := url.Parse(u); err != nil || pu.Scheme != "" && pu.Scheme != "http" && pu.Scheme != "https" {
		return
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	if l.seen[u] {
		return
	}
	l.seen[u] = true
	l.list = append(l.list, u)
}

// firstHeading is the text of the first heading, for a document without
// a title property.
func firstHeading(blocks []block) string {
	for _, b := range blocks {
		if b.kind == bHeading {
			return b.text
		}
	}
	return ""
}

// hasText reports whether the blocks hold any letter or digit.
func hasText(blocks []block) bool {
	for _, b := range blocks {
		s := b.text
		for _, r := range b.rows {
			for _, c := range r {
				s += c.text
			}
		}
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			return true
		}
	}
	return false
}
