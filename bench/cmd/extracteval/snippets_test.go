package main

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckSnippets(t *testing.T) {
	pg := snippetPage{
		Must:    []string{"first line", "second  line\nbroken", "absent"},
		MustNot: []string{"Cookie banner", "footer"},
	}
	tests := []struct {
		name           string
		text           string
		want           snippetCounts
		missed, leaked []string
	}{
		{"all found, nothing leaked", "first line\n\nsecond line broken", snippetCounts{tp: 2, fn: 1, tn: 2}, []string{"absent"}, nil},
		{"white space is normalised", "first\tline second\nline  broken", snippetCounts{tp: 2, fn: 1, tn: 2}, []string{"absent"}, nil},
		{"leaks counted", "Cookie  banner\nfirst line footer", snippetCounts{tp: 1, fn: 2, fp: 2}, []string{"second  line\nbroken", "absent"}, []string{"Cookie banner", "footer"}},
		{"case matters", "FIRST LINE", snippetCounts{fn: 3, tn: 2}, []string{"first line", "second  line\nbroken", "absent"}, nil},
		{"empty text", "", snippetCounts{fn: 3, tn: 2}, []string{"first line", "second  line\nbroken", "absent"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, missed, leaked := checkSnippets(pg, tt.text)
			if got != tt.want {
				t.Errorf("counts = %+v, want %+v", got, tt.want)
			}
			if diff := cmp.Diff(tt.missed, missed); diff != "" {
				t.Errorf("missed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.leaked, leaked); diff != "" {
				t.Errorf("leaked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnippetScores(t *testing.T) {
	tests := []struct {
		name string
		c    snippetCounts
		p, r float64
		f1   float64
	}{
		{"perfect", snippetCounts{tp: 4, tn: 3}, 1, 1, 1},
		{"half recall", snippetCounts{tp: 2, fn: 2}, 1, 0.5, 2.0 / 3},
		{"leaks", snippetCounts{tp: 3, fp: 1, fn: 1}, 0.75, 0.75, 0.75},
		{"nothing", snippetCounts{}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.precision(); math.Abs(got-tt.p) > 1e-9 {
				t.Errorf("precision = %v, want %v", got, tt.p)
			}
			if got := tt.c.recall(); math.Abs(got-tt.r) > 1e-9 {
				t.Errorf("recall = %v, want %v", got, tt.r)
			}
			if got := tt.c.f1(); math.Abs(got-tt.f1) > 1e-9 {
				t.Errorf("F1 = %v, want %v", got, tt.f1)
			}
		})
	}
}
