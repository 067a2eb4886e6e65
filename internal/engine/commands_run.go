package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/mptrace"
)

func prepareEnv(c *call) (func(*state) error, error) {
	for _, kv := range c.args {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, c.errorf("%q is not KEY=VALUE", kv)
		}
	}
	return func(s *state) error {
		s.env = append(s.env, c.args...)
		return nil
	}, nil
}

// exitWant is what a run or serve wants of the exit code: a code, or any.
type exitWant struct {
	any  bool
	code int
}

func parseCode(c *call) (exitWant, error) {
	v, ok := c.opts["-code"]
	switch {
	case !ok:
		return exitWant{}, nil
	case v == "any":
		return exitWant{any: true}, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return exitWant{}, c.errorf("-code %q is not an exit code or any", v)
	}
	return exitWant{code: n}, nil
}

func prepareRun(c *call) (func(*state) error, error) {
	want, err := parseCode(c)
	if err != nil {
		return nil, err
	}
	d, _, err := c.duration("-timeout")
	if err != nil {
		return nil, err
	}
	args := c.args
	return func(s *state) error {
		g := s.g
		g.nrun++
		limit := g.limit(d)
		s.served = false
		var startErr error
		s.runs = g.runAll(func(k int) (*Run, bool) {
			spec, seed, err := g.runSpec(s, k, limit, args)
			if err != nil {
				startErr = err
				return nil, true
			}
			r := execute(g.ctx, spec)
			r.Index, r.Seed = k, seed
			return r, r.TimedOut
		})
		if startErr != nil {
			return startErr
		}
		return s.health(c, want, i18n.M("the program finishes within its time limit and exits with code %d", want.code))
	}, nil
}

// crash matches the first line of a Go runtime crash or a Python traceback.
var crash = regexp.MustCompile(`^(panic: |fatal error: |Traceback \(most recent call last\):)`)

// oom matches what a program prints when it cannot get more memory.
var oom = regexp.MustCompile(`(runtime: out of memory|cannot allocate memory|MemoryError)`)

// health records the verdict on how each run ended: in time, with the
// exit code wanted, with an honest trace, leaving no process behind, and
// within its limits. Every failure here is a cause.
func (s *state) health(c *call, want exitWant, desc i18n.Msg) error {
	for _, r := range s.runs {
		if r.Err != nil {
			return fmt.Errorf("cannot start the program %q: %w", s.g.program[0], r.Err)
		}
	}
	hasOrphanRule := slices.ContainsFunc(s.g.script.Stmts, func(st Stmt) bool {
		return st.Name == "trace" && slices.Contains(st.Args, "noorphans")
	})
	return s.judge(c, desc, true, func(r *Run) (*violation, error) {
		v := s.runFailure(c, r, want, hasOrphanRule)
		if v != nil && r.Truncated {
			v.why = i18n.M("%s (its output was cut at %d bytes, or a line at %d)", v.why, maxOutput, maxLine)
		}
		return v, nil
	})
}

func (s *state) runFailure(c *call, r *Run, want exitWant, orphansChecked bool) *violation {
	tail := r.Lines
	if r.TimedOut {
		tail = r.Tail
	}
	last := func() []Line { return tail[max(0, len(tail)-3):] }
	crashLine := func() (Line, bool) {
		i := slices.IndexFunc(tail, func(l Line) bool { return crash.MatchString(l.Text) })
		if i < 0 {
			return Line{}, false
		}
		return tail[i], true
	}
	switch {
	case r.ShimDied != "":
		return violate(i18n.M("the program killed the grader's process that started it (its parent: %s); a program must never signal its parent", r.ShimDied), last()...)
	case r.TimedOut:
		why := i18n.M("the program did not finish within %v", r.Limit.Round(10*time.Millisecond))
		if a := describeAlive(r); !a.IsZero() {
			why = i18n.M("%s; %s", why, a)
		}
		if len(tail) > 0 {
			why = i18n.M("%s; its last lines are shown below", why)
		} else {
			why = i18n.M("%s; it printed nothing", why)
		}
		v := violate(why, last()...)
		v.timeout, v.excerpt = true, append([]Line{}, tail...)
		return v
	case r.OOM || r.Code != 0 && slices.ContainsFunc(tail, func(l Line) bool { return oom.MatchString(l.Text) }):
		return violate(i18n.M("the program exceeded the memory limit of %s", bytesText(s.g.p.Memory)), last()...)
	case r.Code == -24: // SIGXCPU
		return violate(i18n.M("a process of the program exceeded the CPU-time limit of %v", r.Limit.Round(10*time.Millisecond)), last()...)
	case slices.ContainsFunc(r.Lines, func(l Line) bool { return strings.HasPrefix(l.Text, "WARNING: DATA RACE") }):
		i := slices.IndexFunc(r.Lines, func(l Line) bool { return strings.HasPrefix(l.Text, "WARNING: DATA RACE") })
		return violate(i18n.M("the race detector found a data race: two goroutines touch the same memory without synchronisation (the report below says where)"), r.Lines[i:min(len(r.Lines), i+3)]...)
	case r.TraceErr != "":
		return violate(i18n.M("the trace was tampered with: %s", r.TraceErr))
	case c.Neg && r.Code == 0:
		return violate(i18n.M("the program exited with code 0; it should fail"), last()...)
	case !c.Neg && !want.any && r.Code != want.code:
		why := i18n.M("the program exited with code %d; want %d", r.Code, want.code)
		if r.Code < 0 {
			why = i18n.M("the program was killed by signal %d; want exit code %d", -r.Code, want.code)
		}
		if l, ok := crashLine(); ok {
			return violate(i18n.M("%s: it crashed with `%s`", why, l.Text), l)
		}
		return violate(why, last()...)
	case len(r.Strays) > 0 && !orphansChecked:
		return strayViolation(r)
	}
	return nil
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// pauses lists the long pauses the perturbation injected in a run.
func pauses(r *Run) []Pause {
	var ps []Pause
	for i := range r.Events {
		e := &r.Events[i]
		if e.Kind != mptrace.Pause {
			continue
		}
		ms, _ := e.Int("ms")
		ps = append(ps, Pause{Process: who(e), At: e.Attr("at"), For: time.Duration(ms) * time.Millisecond})
	}
	return ps
}
