// Package benchutil holds what the benchmark commands share: reading the
// machine's load for their logs and their comma-separated flags.
package benchutil

import (
	"os"
	"strings"
)

// LoadAverage is the machine's one-minute load average, or "?" where it
// cannot be read.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// Split splits a comma-separated flag, dropping blanks.
func Split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
