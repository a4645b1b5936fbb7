package main

import (
	"strings"
	"unicode"
)

// The article-extraction benchmark's metric: texts are compared as multisets
// of 4-word shingles, scored per page and averaged over pages.

const shingleSize = 4

// tokens splits text into words the way the regular expression \w+ does on
// Unicode text: runs of letters, digits (any number category) and '_'.
func tokens(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_')
	})
}

// shingles counts the text's consecutive n-token windows; a text shorter than
// n tokens gives one shingle of what it has, an empty text none.
func shingles(text string, n int) map[string]int {
	toks := tokens(text)
	out := map[string]int{}
	if len(toks) == 0 {
		return out
	}
	if len(toks) < n {
		out[strings.Join(toks, "\x00")]++
		return out
	}
	for i := 0; i+n <= len(toks); i++ {
		out[strings.Join(toks[i:i+n], "\x00")]++
	}
	return out
}

// score is one page's true positives, false positives and false negatives,
// normalised to sum to 1 (all zero when both texts are empty).
type score struct{ tp, fp, fn float64 }

func match(truth, pred string) score {
	t, p := shingles(truth, shingleSize), shingles(pred, shingleSize)
	var s score
	for k, tc := range t {
		pc := p[k]
		s.tp += float64(min(tc, pc))
		s.fn += float64(max(0, tc-pc))
	}
	for k, pc := range p {
		s.fp += float64(max(0, pc-t[k]))
	}
	if sum := s.tp + s.fp + s.fn; sum > 0 {
		s.tp, s.fp, s.fn = s.tp/sum, s.fp/sum, s.fn/sum
	}
	return s
}

// precision and recall of one page; ok is false when the page does not count
// towards that mean.
func (s score) precision() (float64, bool) {
	if s.fp == 0 && s.fn == 0 {
		return 1, true
	}
	if s.tp+s.fp == 0 {
		return 0, false
	}
	return s.tp / (s.tp + s.fp), true
}

func (s score) recall() (float64, bool) {
	if s.fp == 0 && s.fn == 0 {
		return 1, true
	}
	if s.tp+s.fn == 0 {
		return 0, false
	}
	return s.tp / (s.tp + s.fn), true
}

// summary is the macro-averaged precision and recall and the F1 of the two.
type summary struct{ precision, recall, f1 float64 }

func summarize(scores []score) summary {
	var ps, rs float64
	var np, nr int
	for _, s := range scores {
		if v, ok := s.precision(); ok {
			ps += v
			np++
		}
		if v, ok := s.recall(); ok {
			rs += v
			nr++
		}
	}
	var out summary
	if np > 0 {
		out.precision = ps / float64(np)
	}
	if nr > 0 {
		out.recall = rs / float64(nr)
	}
	if out.precision+out.recall > 0 {
		out.f1 = 2 * out.precision * out.recall / (out.precision + out.recall)
	}
	return out
}
