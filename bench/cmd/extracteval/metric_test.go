package main

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, world!", []string{"Hello", "world"}},
		{"snake_case and x2 — ok", []string{"snake_case", "and", "x2", "ok"}},
		{"Grüße aus Köln", []string{"Grüße", "aus", "Köln"}},
		{"東京 2020", []string{"東京", "2020"}},
		{"", nil},
		{" ... ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tokens(tt.in), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("tokens(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestShingles(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]int
	}{
		{"empty", "", map[string]int{}},
		{"short text is one shingle", "a b", map[string]int{"a\x00b": 1}},
		{"exactly four", "a b c d", map[string]int{"a\x00b\x00c\x00d": 1}},
		{"windows", "a b c d e", map[string]int{"a\x00b\x00c\x00d": 1, "b\x00c\x00d\x00e": 1}},
		{"repeats counted", "a b c d a b c d", map[string]int{
			"a\x00b\x00c\x00d": 2, "b\x00c\x00d\x00a": 1, "c\x00d\x00a\x00b": 1, "d\x00a\x00b\x00c": 1,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, shingles(tt.in, 4)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMatch(t *testing.T) {
	tests := []struct {
		name        string
		truth, pred string
		want        score
	}{
		{"identical", "one two three four five", "one two three four five", score{1, 0, 0}},
		// truth has 2 shingles, prediction adds 2 more: tp 2, fp 2 → normalised by 4.
		{"extra text", "a b c d e", "a b c d e f g", score{0.5, 0.5, 0}},
		// truth 3 shingles, prediction the first 4 words: tp 1, fn 2.
		{"missing text", "a b c d e f", "a b c d", score{1.0 / 3, 0, 2.0 / 3}},
		{"disjoint", "a b c d", "w x y z", score{0, 0.5, 0.5}},
		{"empty prediction", "a b c d", "", score{0, 0, 1}},
		{"both empty", "", "", score{0, 0, 0}},
		{"case kept", "A b c d", "a b c d", score{0, 0.5, 0.5}},
		// 5 predicted shingles (abcd twice), 1 true: tp 1, fp 4.
		{"multiset", "a b c d", "a b c d a b c d", score{0.2, 0.8, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := match(tt.truth, tt.pred)
			if !approx(got.tp, tt.want.tp) || !approx(got.fp, tt.want.fp) || !approx(got.fn, tt.want.fn) {
				t.Errorf("match = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	scores := []score{
		{1, 0, 0},       // perfect: p 1, r 1
		{0.5, 0.5, 0},   // p 0.5, r 1
		{0, 0, 1},       // nothing predicted: no precision, r 0
		{0, 0, 0},       // both empty: p 1, r 1
		{0.25, 0, 0.75}, // p 1, r 0.25
	}
	got := summarize(scores)
	wantP := (1 + 0.5 + 1 + 1) / 4.0
	wantR := (1 + 1 + 0 + 1 + 0.25) / 5.0
	wantF := 2 * wantP * wantR / (wantP + wantR)
	if !approx(got.precision, wantP) || !approx(got.recall, wantR) || !approx(got.f1, wantF) {
		t.Errorf("summarize = %+v, want {%v %v %v}", got, wantP, wantR, wantF)
	}
}
