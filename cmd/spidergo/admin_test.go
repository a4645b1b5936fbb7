package main

import (
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	c := &adminCmd{name: "user", stderr: &strings.Builder{}}
	fs := c.flags("x")
	v := fs.Bool("v", false, "")
	pos, err := parse(fs, []string{"a", "-v", "b", "--", "-c", "--database-url", "x"})
	if err != nil || !*v || strings.Join(pos, ",") != "a,b,-c,--database-url,x" || c.databaseURL != "" {
		t.Errorf("parse = %q, %v, v=%v db=%q", pos, err, *v, c.databaseURL)
	}
}
