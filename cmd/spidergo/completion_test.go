package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCLI(t, context.Background(), nil, "", "completion", sh)
		if code != 0 || !strings.Contains(out, "max-depth") || !strings.Contains(out, "scrape") || !strings.Contains(out, "serve") {
			t.Errorf("%s: exit %d %s\n%s", sh, code, errOut, out)
		}
	}
	if code, _, _ := runCLI(t, context.Background(), nil, "", "completion", "tcsh"); code != 2 {
		t.Errorf("unknown shell: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, context.Background(), nil, "", "completion"); code != 2 {
		t.Errorf("no shell: exit %d, want 2", code)
	}
}

// TestBashCompletion runs the bash script the way bash does on Tab.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	_, script, _ := runCLI(t, context.Background(), nil, "", "completion", "bash")
	file := filepath.Join(t.TempDir(), "spidergo.bash")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ words, want string }{
		{"spidergo cr", "crawl"},
		{"spidergo crawl https://example.com --max-d", "--max-depth"},
		{"spidergo crawl --format nd", "ndjson"},
		{"spidergo map --sitemap o", "only"},
		{"spidergo completion fi", "fish"},
	}
	for _, tc := range tests {
		words := strings.Fields(tc.words)
		cmd := exec.Command(bash, "--norc", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _spidergo; echo "${COMPREPLY[@]}"`, "x", file)
		cmd.Args = append(cmd.Args, words...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("%q completes to %q (%v), want %q", tc.words, out, err, tc.want)
		}
	}
}
