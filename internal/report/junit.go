package report

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
)

type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     float64      `xml:"time,attr"`
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
		Time    float64       `xml:"time,attr"`
		Failure *junitMessage `xml:"failure,omitempty"`
		Error   *junitMessage `xml:"error,omitempty"`
		Skipped *junitMessage `xml:"skipped,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
)

// JUnit writes the results as JUnit XML: a suite per exercise, a case per
// rule. A rule's time is its exercise's time shared out, since rules are
// checked together over the same runs.
func JUnit(w io.Writer, rs []Result) error {
	var top junitSuites
	for i := range rs {
		r := &rs[i]
		s := junitSuite{Name: r.Target.Label()}
		if r.NotStarted {
			s.Cases = []junitCase{{Class: r.Target.Label(), Name: "not started", Failure: &junitMessage{Message: "not started: the stub as shipped"}}}
			s.Failures = 1
		} else if r.Err != nil {
			s.Cases = []junitCase{{Class: r.Target.Label(), Name: "grading", Error: &junitMessage{Message: Clean(r.Err.Error())}}}
			s.Errors = 1
		} else {
			v := r.Verdict
			s.Time = v.Elapsed.Seconds()
			for j := range v.Checks {
				c := &v.Checks[j]
				jc := junitCase{Class: r.Target.Label(), Name: Clean(c.Rule), Time: s.Time / float64(len(v.Checks))}
				m := &junitMessage{Message: Clean(why(i18n.En, v, c)), Text: excerpt(c)}
				switch c.Status {
				case engine.Fail, engine.Timeout:
					jc.Failure = m
					s.Failures++
				case engine.Skip:
					jc.Skipped = &junitMessage{Message: Clean(strings.Join(append([]string{c.Why}, c.Notes...), "; "))}
					s.Skipped++
				}
				s.Cases = append(s.Cases, jc)
			}
		}
		s.Tests = len(s.Cases)
		top.Tests += s.Tests
		top.Failures += s.Failures
		top.Errors += s.Errors
		top.Time += s.Time
		top.Suites = append(top.Suites, s)
	}
	b, err := xml.MarshalIndent(top, "", "  ")
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, xml.Header+string(b)+"\n")
	return err
}
