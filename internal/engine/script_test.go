package engine

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestBrokenRules checks that every kind of broken rule is a ScriptError
// naming its line, found before anything runs.
func TestBrokenRules(t *testing.T) {
	for _, tc := range []struct {
		script string
		line   int
		want   string
	}{
		{"run\nfrobnicate foo\n", 2, `unknown command "frobnicate"`},
		{"[bogus] run\n", 1, "unknown condition [bogus]"},
		{"run\ncount 'x == 1\n", 2, "unterminated quote"},
		{"run\ncount 'x' ==\n", 2, "count: wrong number of arguments; usage: count"},
		{"run\ncount '^main' == -1\n", 2, `"-1" is not a whole number of 0 or more`},
		{"run\ncount '(' == 1\n", 2, `bad regexp "("`},
		{"run\ncount -frob 'x' == 1\n", 2, "unknown option -frob"},
		{"run\ncount -m\n", 2, "option -m needs a value MSG"},
		{"serve -k -1 hello\n", 1, `-k "-1" is not a number of clients from 1 to 64`},
		{"run -timeout soon\n", 1, `-timeout "soon" is not a positive duration`},
		{"run -code x\n", 1, `-code "x" is not an exit code or any`},
		{"run\n! count 'x' == 1\n", 2, "count does not take !"},
		{"run\nsometimes run\n", 2, `"run" is not a check`},
		{"run\ntrace frob\n", 2, "usage: trace"},
		{"run\ntrace count 'start x' == 1\n", 2, `event filter "x" is not key=value`},
		{"run\nbefore '(a)' '$1('\n", 2, "bad regexp"},
		{"run\ncount -stdout -stderr 'x' == 1\n", 2, "-stdout and -stderr exclude each other"},
		{"env NOEQUALS\n", 1, `"NOEQUALS" is not KEY=VALUE`},
		{"serve x\nreplies '('\n", 2, "bad template"},
	} {
		s, err := ParseScript("rules.txtar", []byte(tc.script), nil)
		if err == nil {
			_, err = prepareAll(s)
		}
		var se *ScriptError
		if !errors.As(err, &se) {
			t.Errorf("rules %q: error %v; want a *ScriptError", tc.script, err)
			continue
		}
		if se.Pos.Line != tc.line || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("rules %q: error %q at line %d; want %q at line %d", tc.script, se.Msg, se.Pos.Line, tc.want, tc.line)
		}
	}
}

func TestRulesRead(t *testing.T) {
	s, err := ParseScript("r.txtar", []byte("# run it\nrun -code 3 a 'b c' 'it''s'\n[!linux] count x == 1\n-- f.txt --\nhi\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stmts) != 1 && len(s.Stmts) != 2 {
		t.Fatalf("ParseScript: %d statements", len(s.Stmts))
	}
	st := s.Stmts[0]
	if st.Name != "run" || st.Phase != "run it" || st.Pos.Line != 2 || strings.Join(st.Args, "|") != "-code|3|a|b c|it's" {
		t.Errorf("ParseScript: statement %+v", st)
	}
	if len(s.Files) != 1 || s.Files[0].Name != "f.txt" {
		t.Errorf("ParseScript: files %+v; want f.txt", s.Files)
	}
}

// FuzzParseScript checks that no rules file, however broken, makes the
// parser or the preparation of its commands panic: every failure is an
// error.
func FuzzParseScript(f *testing.F) {
	for _, s := range []string{
		"run\ncount -replies 'x' == 0\n",
		"serve -k -1 hello\n",
		"run\ncount '^main' == -1\n",
		"frobnicate foo\n",
		"[bogus] run\n",
		"run\ncount 'x\n",
		"run\ntrace count 'start daemon=true' >= 1\nsometimes after 'a' 'b'\n-- x --\ny\n",
		"run -code any -timeout 3s -- -x\nbefore '^(?P<n>\\w+) run$' '^${n} end$'\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseScript("fuzz.txtar", []byte(text), func(string) string { return "v" })
		if err != nil {
			var se *ScriptError
			if !errors.As(err, &se) {
				t.Fatalf("ParseScript error %T %v; want a *ScriptError", err, err)
			}
			return
		}
		_, _ = prepareAll(s)
	})
}

func TestRulesInOrder(t *testing.T) {
	for _, tc := range []struct{ script, want string }{
		{"count 'x' == 1\n", "no run to check"},
		{"run\ncount -replies 'x' == 0\n", "put a serve command before it"},
		{"run\nreplies '^x$'\n", "put a serve command before it"},
		{"run\nsometimes overlap >= 2\n", "put a serve command before it"},
	} {
		s, err := ParseScript("r.txtar", []byte(tc.script), nil)
		if err == nil {
			_, err = prepareAll(s)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rules %q: error %v; want %q", tc.script, err, tc.want)
		}
	}
}

// TestChecksDocIsComplete keeps docs/checks.md in step with the commands.
func TestChecksDocIsComplete(t *testing.T) {
	b, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.Contains(doc, Usage()) {
		t.Errorf("docs/checks.md lacks the current engine.Usage() at its end; paste it there:\n%s", Usage())
	}
}
