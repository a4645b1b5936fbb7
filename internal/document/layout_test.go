package document

import "testing"

func TestPDFDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"D:20240131120000+01'00'", "2024-01-31T12:00:00+01:00"},
		{"D:20240131120000Z", "2024-01-31T12:00:00Z"},
		{"D:20240131120000Z00'00'", "2024-01-31T12:00:00Z"},
		{"D:20240131", "2024-01-31T00:00:00Z"},
		{"last Tuesday", "last Tuesday"},
	}
	for _, tt := range tests {
		if got := pdfDate(tt.in); got != tt.want {
			t.Errorf("pdfDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeMD(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"# not a heading", `\# not a heading`},
		{"- not an item", `\- not an item`},
		{"2024. A year", `2024\. A year`},
		{"a *b* [c](d) <e>", `a \*b\* \[c\](d) \<e\>`},
		{"snake_case", `snake\_case`},
	}
	for _, tt := range tests {
		if got := escapeMD(tt.in); got != tt.want {
			t.Errorf("escapeMD(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJoinLines(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"the docu-", "ment goes on", "the document goes on"},
		{"a well-", "Known name", "a well- Known name"},
		{"first line", "second line", "first line second line"},
		{"ends with 3-", "4 more", "ends with 3- 4 more"},
	}
	for _, tt := range tests {
		if got := joinLines(tt.a, tt.b); got != tt.want {
			t.Errorf("joinLines(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLayoutColumnsAndLists(t *testing.T) {
	// Runs as PDFium gives them, out of reading order on purpose.
	page := []rect{
		{text: "2. Second step", left: 72, right: 160, top: 610, bottom: 600, size: 10},
		{text: "Steps", left: 72, right: 120, top: 700, bottom: 686, size: 14},
		{text: "1. First step that goes", left: 72, right: 200, top: 640, bottom: 630, size: 10},
		{text: "on to a second line", left: 84, right: 200, top: 627, bottom: 617, size: 10},
		{text: "Body text for the size.", left: 72, right: 300, top: 670, bottom: 660, size: 10},
	}
	md, _ := render(layout([][]rect{page}))
	want := "# Steps\n\nBody text for the size.\n\n1. First step that goes on to a second line\n2. Second step\n"
	if md != want {
		t.Errorf("Markdown:\n%q\nwant\n%q", md, want)
	}
}
