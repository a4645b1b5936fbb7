package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"serve", "-h"}, {"migrate", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stderr strings.Builder
			env := func(string) string { return "" }
			if code := run(context.Background(), args, env, strings.NewReader(""), io.Discard, &stderr); code != 0 {
				t.Errorf("exit code %d, want 0 (stderr %q)", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "SPIDERGO_ADDR") {
				t.Errorf("help does not list the settings: %q", stderr.String())
			}
		})
	}
}
