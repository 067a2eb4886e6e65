package engine

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"
)

// Script is a parsed rules file: its statements and the files every run
// starts with.
type Script struct {
	File  string // slash-separated, relative to the course root
	Stmts []Stmt
	Files []txtar.File
}

// Stmt is one command line of a script.
type Stmt struct {
	Pos   Pos
	Neg   bool   // the line started with !
	Name  string // the command
	Args  []string
	Phase string // the nearest # comment above, the rule in words by default
}

// ScriptError is a mistake in a rules file: the author's to fix, never the
// learner's. Grade returns it as its error.
type ScriptError struct {
	Pos Pos
	Msg string
}

func (e *ScriptError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Pos.File, e.Pos.Line, e.Msg)
}

// ParseScript parses a rules file in testscript's syntax: a comment block
// of command lines, then txtar file sections. Words are split at spaces;
// '...' quotes (with ” for a quote); $VAR and ${VAR} are expanded from
// env outside single quotes; a line may start with conditions such as
// [linux] or [!short] and with !. Every command must be one the engine
// knows.
func ParseScript(name string, data []byte, env func(string) string) (*Script, error) {
	// txtar.Parse panics on a file marker without a name ("-- --"): refuse
	// one first, as the mistake it is.
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") && (len(l) < 6 || strings.TrimSpace(l[3:len(l)-3]) == "") {
			return nil, &ScriptError{Pos{name, i + 1}, "a file section with no name; write -- NAME --"}
		}
	}
	ar := txtar.Parse(data)
	s := &Script{File: name, Files: ar.Files}
	// The nearest # line above a command names its rule, so a phase's
	// comment ends with the rule in words; lines above it may explain.
	phase := ""
	for i, raw := range strings.Split(string(ar.Comment), "\n") {
		pos := Pos{name, i + 1}
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if c, ok := strings.CutPrefix(line, "#"); ok {
			phase = strings.TrimSpace(c)
			continue
		}
		words, err := splitWords(line, env)
		if err != nil {
			return nil, &ScriptError{pos, err.Error()}
		}
		st := Stmt{Pos: pos, Phase: phase}
		skip := false
		for len(words) > 0 && strings.HasPrefix(words[0], "[") {
			ok, err := condition(words[0])
			if err != nil {
				return nil, &ScriptError{pos, err.Error()}
			}
			skip = skip || !ok
			words = words[1:]
		}
		if len(words) > 0 && words[0] == "!" {
			st.Neg = true
			words = words[1:]
		}
		if len(words) == 0 {
			return nil, &ScriptError{pos, "a line with conditions or ! but no command"}
		}
		st.Name, st.Args = words[0], words[1:]
		if _, ok := lookup(st.Name); !ok {
			return nil, &ScriptError{pos, fmt.Sprintf("unknown command %q; the commands are %s (docs/checks.md)", st.Name, commandNames())}
		}
		if !skip {
			s.Stmts = append(s.Stmts, st)
		}
	}
	return s, nil
}

// condition evaluates [name] or [!name].
func condition(w string) (bool, error) {
	if !strings.HasSuffix(w, "]") {
		return false, fmt.Errorf("condition %s lacks its ]", w)
	}
	name := w[1 : len(w)-1]
	neg := strings.HasPrefix(name, "!")
	name = strings.TrimPrefix(name, "!")
	var v bool
	switch name {
	case "linux", "darwin", "windows", "freebsd":
		v = runtime.GOOS == name
	case "short":
		v = false // grading is never short
	default:
		return false, fmt.Errorf("unknown condition [%s]; rules may use [linux], [darwin] or [short], negated with !", name)
	}
	return v != neg, nil
}

// splitWords splits a command line as testscript does.
func splitWords(line string, env func(string) string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			in = true
			for i++; ; i++ {
				if i >= len(line) {
					return nil, fmt.Errorf("unterminated quote: a ' opened here is never closed (write '' for a quote inside quotes)")
				}
				if line[i] == '\'' {
					if i+1 < len(line) && line[i+1] == '\'' {
						cur.WriteByte('\'')
						i++
						continue
					}
					break
				}
				cur.WriteByte(line[i])
			}
		case c == '$' && env != nil:
			name, n := varName(line[i+1:])
			if n == 0 {
				cur.WriteByte(c)
				in = true
				continue
			}
			cur.WriteString(env(name))
			in = true
			i += n
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// varName reads NAME or {NAME} after a $ and returns it with the bytes it took.
func varName(s string) (string, int) {
	if strings.HasPrefix(s, "{") {
		if i := strings.IndexByte(s, '}'); i > 1 {
			return s[1:i], i + 1
		}
		return "", 0
	}
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n], n
}
