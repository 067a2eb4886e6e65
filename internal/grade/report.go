package grade

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
)

// printer writes the human report, in colour on a terminal unless NO_COLOR is set.
type printer struct {
	w      io.Writer
	on     bool
	colour bool
}

func newPrinter(w io.Writer, on bool) *printer {
	p := &printer{w: w, on: on}
	if f, ok := w.(*os.File); ok && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.colour = true
		}
	}
	return p
}

func (p *printer) paint(code, s string) string {
	if !p.colour {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// line prints one line for the exercise, and with verbose every check.
func (p *printer) line(r Result, verbose bool) {
	if !p.on {
		return
	}
	switch f := r.Failed(); {
	case f == nil:
		fmt.Fprintf(p.w, "%s %s\n", p.paint("32", "✓"), r.Name)
	case f.Status == Timeout:
		fmt.Fprintf(p.w, "%s %s: %s: timeout, possibly a deadlock\n", p.paint("31", "✗"), r.Name, f.Name)
	default:
		fmt.Fprintf(p.w, "%s %s: %s\n", p.paint("31", "✗"), r.Name, f.Name)
	}
	for _, c := range r.Checks {
		for _, n := range c.notes {
			fmt.Fprintf(p.w, "    %s\n", p.paint("2", "note: "+n))
		}
		if verbose {
			fmt.Fprintf(p.w, "    %-7s %s\n", c.Status, c.Name)
		}
	}
	if verbose && r.Log != "" {
		fmt.Fprint(p.w, indent(r.Log, "    | "))
	}
}

// explain prints the first failure in full, with the next step.
func (p *printer) explain(rs []Result) {
	var bad []Result
	for _, r := range rs {
		if r.Status != Pass {
			bad = append(bad, r)
		}
	}
	if len(bad) == 0 {
		fmt.Fprintf(p.w, "\nall %d passed\n", len(rs))
		return
	}
	fmt.Fprintf(p.w, "\n%d of %d passed\n\n", len(rs)-len(bad), len(rs))
	r := bad[0]
	f := r.Failed()
	fmt.Fprintf(p.w, "%s %s\n", p.paint("1", r.Name+":"), f.Name)
	fmt.Fprint(p.w, indent(f.Message, "  "))
	if f.Output != "" && f.Output != f.Message {
		fmt.Fprintf(p.w, "  output:\n%s", indent(f.Output, "  "))
		if !strings.HasSuffix(f.Output, "\n") {
			fmt.Fprintln(p.w)
		}
	}
	if f.Line > 0 {
		fmt.Fprintf(p.w, "  rule: %s:%d\n", r.Script, f.Line)
	}
	fmt.Fprintf(p.w, "  %s\n", nextStep(r))
}

// nextStep tells the learner what to do about a failed exercise.
func nextStep(r Result) string {
	var b strings.Builder
	if r.Status == Error {
		fmt.Fprintf(&b, "grading could not judge this program; check %s and the program's command, then try again", r.Script)
		return b.String()
	}
	if r.Reproduce != "" {
		fmt.Fprintf(&b, "reproduce: %s\n  ", r.Reproduce)
	}
	main := r.Dir + "/main.go"
	if m := compileErr.FindStringSubmatch(r.Checks[0].Message); r.Checks[0].Command == "build" && m != nil {
		main = m[1] + ":" + m[2]
	}
	fmt.Fprintf(&b, "next: edit %s, then run `go run ./cmd/grade ./%s` again", main, r.Dir)
	if _, err := os.Stat(r.Dir + "/README.md"); err == nil || strings.HasPrefix(r.Dir, "exercises/") {
		fmt.Fprintf(&b, " (the task is in %s/README.md)", r.Dir)
	}
	return b.String()
}

func indent(s, prefix string) string {
	s = strings.TrimRight(s, "\n")
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix) + "\n"
}

// annotate prints GitHub Actions error annotations for failures.
func annotate(w io.Writer, rs []Result) {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	for _, r := range rs {
		f := r.Failed()
		if f == nil {
			continue
		}
		file, line := r.Dir+"/main.go", 1
		if m := compileErr.FindStringSubmatch(f.Message); f.Command == "build" && m != nil {
			file, line = m[1], atoi(m[2])
		}
		fmt.Fprintf(w, "::error file=%s,line=%d,title=%s::%s\n", prop.Replace(file), line,
			prop.Replace(r.Name+": "+f.Name), esc.Replace(f.Message+"\n"+nextStep(r)))
	}
}

// JSON report, documented in docs/grade-json.md; keep them in step.
type (
	jsonTop struct {
		Version   int            `json:"version"`
		Status    Status         `json:"status"`
		Message   string         `json:"message"`
		Seed      uint64         `json:"seed"`
		Runs      int            `json:"runs"`
		Exercises []jsonExercise `json:"exercises"`
	}
	jsonExercise struct {
		Name      string     `json:"name"`
		Path      string     `json:"path"`
		Script    string     `json:"script"`
		Status    Status     `json:"status"`
		Message   string     `json:"message"`
		Reproduce string     `json:"reproduce"`
		Tests     []jsonTest `json:"tests"`
	}
	jsonTest struct {
		Name    string `json:"name"`
		Command string `json:"command"`
		Status  Status `json:"status"`
		Message string `json:"message"`
		Output  string `json:"output"`
		Seed    uint64 `json:"seed"`
		Run     int    `json:"run"`
		Line    int    `json:"line"`
	}
)

func jsonReport(rs []Result, cfg Config) jsonTop {
	top := jsonTop{Version: 3, Status: Pass, Seed: cfg.Seed, Runs: cfg.Runs, Exercises: []jsonExercise{}}
	switch exitCode(rs) {
	case 1:
		top.Status = Fail
	case 2:
		top.Status = Error
	}
	for _, r := range rs {
		e := jsonExercise{Name: r.Name, Path: r.Dir, Script: r.Script, Status: r.Status, Reproduce: r.Reproduce, Tests: []jsonTest{}}
		if f := r.Failed(); f != nil {
			e.Message = f.Name + ": " + f.Message
			if top.Message == "" {
				top.Message = r.Name + ": " + f.Name
			}
		}
		for _, c := range r.Checks {
			e.Tests = append(e.Tests, jsonTest{Name: c.Name, Command: c.Command, Status: c.Status,
				Message: c.Message + strings.Join(c.notes, "; "), Output: c.Output, Seed: c.Seed, Run: c.Run, Line: c.Line})
		}
		top.Exercises = append(top.Exercises, e)
	}
	return top
}

type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Time     float64     `xml:"time,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Class   string        `xml:"classname,attr"`
		Name    string        `xml:"name,attr"`
		Failure *junitMessage `xml:"failure,omitempty"`
		Error   *junitMessage `xml:"error,omitempty"`
		Skipped *junitMessage `xml:"skipped,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
)

func writeJUnit(file string, rs []Result) error {
	var top junitSuites
	for _, r := range rs {
		s := junitSuite{Name: r.Name, Time: r.Elapsed.Seconds()}
		for _, c := range r.Checks {
			jc := junitCase{Class: r.Name, Name: c.Name}
			m := &junitMessage{Message: c.Message, Text: c.Output}
			switch c.Status {
			case Fail, Timeout:
				jc.Failure = m
				s.Failures++
			case Error:
				jc.Error = m
				s.Errors++
			case Skip:
				jc.Skipped = &junitMessage{Message: strings.Join(c.notes, "; ")}
				s.Skipped++
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Errors += s.Errors
		top.Suites = append(top.Suites, s)
	}
	b, err := xml.MarshalIndent(top, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append([]byte(xml.Header), append(b, '\n')...), 0o666)
}
