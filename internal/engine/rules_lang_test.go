package engine_test

import (
	"os"
	"slices"
	"testing"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
)

// TestEveryRuleHasChinese reads every exercise's rules: a rule worded
// with -m must be worded with -zh too, so that a learner who reads
// Chinese never meets an English rule.
func TestEveryRuleHasChinese(t *testing.T) {
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := course.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, e := range c.Exercises {
		b, err := os.ReadFile(root + "/" + e.Rules)
		if err != nil {
			t.Fatal(err)
		}
		s, err := engine.ParseScript(e.Rules, b, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range s.Stmts {
			args := st.Args
			if st.Name == "sometimes" && len(args) > 0 {
				args = args[1:]
			}
			m, zh := optValue(args, "-m"), optValue(args, "-zh")
			if m != "" {
				rules++
			}
			if m != "" && zh == "" {
				t.Errorf("%s:%d: %s has -m %q but no -zh", st.Pos.File, st.Pos.Line, st.Name, m)
			}
			if zh != "" && m == "" {
				t.Errorf("%s:%d: %s has -zh but no -m", st.Pos.File, st.Pos.Line, st.Name)
			}
		}
	}
	if rules == 0 {
		t.Fatal("no rule with -m found; the test reads nothing")
	}
}

// optValue returns the value of option o among a statement's leading
// options, or "".
func optValue(args []string, o string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--" || !slices.Contains([]string{"-m", "-zh", "-weight", "-file", "-k", "-hold", "-code", "-timeout", "-stdout", "-stderr", "-replies"}, args[i]) {
			return ""
		}
		if args[i] == o {
			return args[i+1]
		}
		if args[i] != "-stdout" && args[i] != "-stderr" && args[i] != "-replies" {
			i++
		}
	}
	return ""
}
