package extract

import (
	"strings"
	"testing"
)

// referenceTidyLines is the plain statement of what tidyLines does.
func referenceTidyLines(t string) string {
	lines := strings.Split(t, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\u00a0")
	}
	t = strings.Join(lines, "\n")
	return strings.TrimSpace(blankLines.ReplaceAllString(t, "\n\n"))
}

func TestTidyLines(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"\n\n\n", ""},
		{"one", "one"},
		{"one  \ntwo\t", "one\ntwo"},
		{"one\n\ntwo", "one\n\ntwo"},
		{"one\n\n\n\n\ntwo", "one\n\ntwo"},
		{"one\n \t\u00a0\n  \ntwo", "one\n\ntwo"},
		{"  lead\ntrail\u00a0\u00a0\n\n", "lead\ntrail"},
		{"\u2003wide\u2003\nnext", "wide\u2003\nnext"},
		{"a\r\n\r\nb", "a\r\n\r\nb"},
		{"\n\nx\n", "x"},
		{"tab\tinside \u00a0end\u00a0 \n", "tab\tinside \u00a0end"},
	}
	for _, c := range cases {
		got := tidyLines(c.in)
		if got != c.want {
			t.Errorf("tidyLines(%q) = %q, want %q", c.in, got, c.want)
		}
		if ref := referenceTidyLines(c.in); got != ref {
			t.Errorf("tidyLines(%q) = %q, the plain statement gives %q", c.in, got, ref)
		}
	}
}

func TestCountWords(t *testing.T) {
	cases := []struct {
		in       string
		min, max float64
	}{
		{"", 0, 0},
		{"Three short words", 3, 3},
		{"l'été, déjà-vu", 4, 4},
		{"東京都の天気", 3, 3},
		// Thai: "Grandma walks to dig young galangal behind the house", about
		// nine words without a space between them.
		{"ยายจะเดินไปขุดข่าอ่อนหลังบ้าน", 6, 12},
		{"ကျွန်တော်စာဖတ်နေတယ်", 2, 8},
	}
	for _, c := range cases {
		if got := countWords(c.in); got < c.min || got > c.max {
			t.Errorf("countWords(%q) = %v, want between %v and %v", c.in, got, c.min, c.max)
		}
	}
}
