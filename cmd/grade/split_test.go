package main

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"python3 prog.py", []string{"python3", "prog.py"}},
		{`sh -c 'echo "a b"; echo c'`, []string{"sh", "-c", `echo "a b"; echo c`}},
		{`a "b c" d`, []string{"a", "b c", "d"}},
		{"  a\tb  ", []string{"a", "b"}},
		{`''`, []string{""}},
	} {
		got, err := splitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", `a 'b`, `a "b`} {
		if got, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) = %q; want an error", bad, got)
		}
	}
}

// FuzzSplitCommand checks that splitting never panics, and that words
// quoted back with single quotes split into the same words.
func FuzzSplitCommand(f *testing.F) {
	f.Add(`sh -c 'echo hi'`)
	f.Add(`a "b`)
	f.Add(`'''`)
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitCommand(s)
		if err != nil {
			return
		}
		var quoted []string
		for _, w := range words {
			if strings.Contains(w, "'") {
				return // a single quote cannot be written inside single quotes
			}
			quoted = append(quoted, "'"+w+"'")
		}
		again, err := splitCommand(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("splitCommand(%q) = %q; quoted back and split: %q, %v", s, words, again, err)
		}
	})
}
