package grade

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Status is the verdict of a check or an exercise.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Error   Status = "error"   // grading could not judge: bad script, program not startable
	Timeout Status = "timeout" // a run did not finish in time
	Skip    Status = "skip"    // the check could not apply (no trace, a single run)
)

// CheckResult is the verdict of one script command.
type CheckResult struct {
	Name    string   // the rule in words: -m, else the phase comment, else generated
	Status  Status   //
	Message string   // why it failed, with the offending lines
	Output  string   // an excerpt of the failing run's output
	Run     int      // 1-based failing run, 0 if none
	Seed    uint64   // seed of the failing run
	Line    int      // line in the grading script
	Command string   // the command name, as in "before"
	named   bool     // the script gave -m
	lines   []Line   // the offending lines
	notes   []string // why it was skipped
}

// runSlots bounds how many programs run at once in this process.
var runSlots = make(chan struct{}, runtime.NumCPU())

// script is the state of one grading script while testscript runs it.
type script struct {
	cfg     *Config
	program []string    // argv of the program under test
	file    string      // the script's path
	envKeys []string    // variables passed on to the program
	runs    []Run       // repetitions of the last run or serve
	stop    atomic.Bool // set by a timed-out run: skip the runs not yet started
	conns   [][]Conn    // per repetition, the client connections of the last serve
	nrun    int         // how many run or serve commands have executed
	seen    map[string]int
	results []CheckResult
	// sometimes is set while a check runs under the sometimes prefix.
	sometimes bool
}

// command is one script command added to testscript's builtins.
type command struct {
	name    string
	args    string // usage, after the name
	summary string
	min     int // fewest arguments after options
	max     int // most, or -1
	run     func(s *script, ts *testscript.TestScript, neg bool, args []string)
}

// commands are the grader's script commands. Keep them sorted by name, and
// update docs/checks.md when adding or changing one.
var commands []command

func init() {
	commands = []command{
		{"absent", "[opts] REGEXP", "no line matches REGEXP", 1, 1, (*script).cmdAbsent},
		{"after", "[opts] A B", "a line matches B, and every such line comes after all lines matching A", 2, 2, (*script).cmdAfter},
		{"before", "[opts] A B", "each line matching A is followed by a line matching B (A's captures replace $1, ${name} in B), and the first such B line comes after the first such A line", 2, 2, (*script).cmdBefore},
		{"compare", "[opts] REGEXP OP NUMBER", "every value captured by REGEXP is a number that compares to NUMBER by OP", 3, 3, (*script).cmdCompare},
		{"count", "[opts] REGEXP OP N", "the number of lines matching REGEXP compares to N by OP", 3, 3, (*script).cmdCount},
		{"disjoint", "[opts] A B", "no value captured by A equals a value captured by B", 2, 2, (*script).cmdDisjoint},
		{"distinct", "[opts] REGEXP OP N", "the number of distinct values captured by REGEXP compares to N by OP", 3, 3, (*script).cmdDistinct},
		{"overlap", "[-m MSG] OP N", "the most connections served at once compares to N by OP", 2, 2, (*script).cmdOverlap},
		{"replies", "[-m MSG] TEMPLATE", "every line sent got a reply matching TEMPLATE, where {sent} and {SENT} stand for the line sent and its upper case", 1, 1, (*script).cmdReplies},
		{"run", "[-code N|any] [-timeout D] [ARGS...]", "run the program -n times in parallel; each run must finish within D (default and cap: the -timeout flag) and exit with code N (default 0); after a timeout the runs not yet started are skipped", 0, -1, (*script).cmdRun},
		{"sameset", "[opts] A B", "the values captured by A, with repetitions, are the values captured by B", 2, 2, (*script).cmdSameSet},
		{"serve", "[-k K] [-hold DUR] [-code N|any] [-timeout D] LINE...", "start the server -n times, each with PORT and HOST set; K clients each send the LINEs and read a reply to each within D (default and cap: the -timeout flag); then stop it; after a run whose clients got no reply, the runs not yet started are skipped", 1, -1, (*script).cmdServe},
		{"sometimes", "CHECK ARGS...", "the check must hold in at least one run rather than in every run", 1, -1, (*script).cmdSometimes},
		{"trace", "[-m MSG] exit CODE | mutex | noorphans | count EVENT OP N", "a rule about the mp trace of each run", 1, 4, (*script).cmdTrace},
	}
}

// Usage lists the script commands, one per line, for help output and docs.
func Usage() string {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "%s %s\n\t%s\n", c.name, c.args, c.summary)
	}
	return b.String()
}

func (s *script) cmds() map[string]func(*testscript.TestScript, bool, []string) {
	m := map[string]func(*testscript.TestScript, bool, []string){}
	for _, c := range commands {
		m[c.name] = func(ts *testscript.TestScript, neg bool, args []string) {
			s.seen[c.name]++
			s.dispatch(c, ts, neg, args)
		}
	}
	return m
}

func (s *script) dispatch(c command, ts *testscript.TestScript, neg bool, args []string) {
	n := 0
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--":
			n += len(args) - i - 1
			i = len(args)
		case strings.HasPrefix(args[i], "-") && len(args[i]) > 1 && c.name != "sometimes" && n == 0 && !isNumber(args[i]):
			if optTakesValue(args[i]) {
				i++
			}
		default:
			n++
		}
	}
	if n < c.min || (c.max >= 0 && n > c.max) {
		s.scriptError(ts, c.name, "usage: %s %s", c.name, c.args)
	}
	if neg && c.name != "run" {
		s.scriptError(ts, c.name, "%s does not support !; state the rule positively (see docs/checks.md)", c.name)
	}
	c.run(s, ts, neg, args)
}

func isNumber(s string) bool { _, err := strconv.ParseFloat(s, 64); return err == nil }

func optTakesValue(o string) bool {
	switch o {
	case "-m", "-file", "-code", "-k", "-hold":
		return true
	}
	return false
}

// scriptError stops the script with an error verdict: the script itself is wrong.
func (s *script) scriptError(ts *testscript.TestScript, cmd, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.results = append(s.results, CheckResult{Name: cmd, Command: cmd, Status: Error, Message: msg})
	ts.Fatalf("%s", msg)
}

// checkOpts are the options shared by the line checks.
type checkOpts struct {
	msg     string // -m: the rule in words
	stream  Stream // -stdout, -stderr; default Both
	file    string // -file NAME: read that file of each run's work directory instead
	replies bool   // -replies: read the replies of the last serve
}

func (s *script) parseOpts(ts *testscript.TestScript, cmd string, args []string) (checkOpts, []string) {
	o := checkOpts{stream: Both}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && !isNumber(args[0]) {
		a := args[0]
		args = args[1:]
		switch a {
		case "--":
			return o, args
		case "-stdout":
			o.stream = Stdout
		case "-stderr":
			o.stream = Stderr
		case "-replies":
			o.replies = true
		case "-m", "-file":
			if len(args) == 0 {
				s.scriptError(ts, cmd, "%s: %s needs a value", cmd, a)
			}
			if a == "-m" {
				o.msg = args[0]
			} else {
				o.file = args[0]
			}
			args = args[1:]
		default:
			s.scriptError(ts, cmd, "%s: unknown option %s", cmd, a)
		}
	}
	return o, args
}

func (s *script) compile(ts *testscript.TestScript, cmd, re string) *regexp.Regexp {
	r, err := regexp.Compile(re)
	if err != nil {
		s.scriptError(ts, cmd, "%s: bad regexp %q: %v", cmd, re, err)
	}
	return r
}

func (s *script) op(ts *testscript.TestScript, cmd, op string) Op {
	o, err := parseOp(op)
	if err != nil {
		s.scriptError(ts, cmd, "%s: %v", cmd, err)
	}
	return o
}

func (s *script) atoi(ts *testscript.TestScript, cmd, n string) int {
	i, err := strconv.Atoi(n)
	if err != nil {
		s.scriptError(ts, cmd, "%s: %q is not a whole number", cmd, n)
	}
	return i
}

// linesOf returns the lines a check with options o reads from run r.
func (s *script) linesOf(r int, o checkOpts) []Line {
	switch {
	case o.replies:
		return replyLines(s.conns[r])
	case o.file != "":
		b, err := os.ReadFile(filepath.Join(s.runs[r].Dir, o.file))
		if err != nil {
			return nil
		}
		var ls []Line
		for i, t := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			ls = append(ls, Line{N: i + 1, Stream: Stdout, Text: t})
		}
		return ls
	}
	return selectLines(s.runs[r].Lines, o.stream)
}

// judge applies check to every run (or, under sometimes, to any run) and
// records the verdict; a broken rule stops the script.
func (s *script) judge(ts *testscript.TestScript, cmd string, o checkOpts, desc string, check func(r int) (*Violation, error)) {
	res := CheckResult{Name: o.msg, Command: cmd, Status: Pass, named: o.msg != ""}
	if o.msg == "" {
		res.Name = desc
	}
	if len(s.runs) == 0 {
		s.scriptError(ts, cmd, "%s: no run to check; put a run or serve command before it", cmd)
	}
	if s.sometimes && len(s.runs) < 2 {
		res.Status = Skip
		res.notes = append(res.notes, fmt.Sprintf("sometimes %s skipped: it needs more than one run (use -n 2 or more)", cmd))
		s.results = append(s.results, res)
		return
	}
	var first *Violation
	firstRun := -1
	held := 0
	for r := range s.runs {
		v, err := check(r)
		if err != nil {
			s.scriptError(ts, cmd, "%s: %v", cmd, err)
		}
		if v == nil {
			held++
			if s.sometimes {
				break
			}
			continue
		}
		if first == nil {
			first, firstRun = v, r
		}
		if !s.sometimes {
			break
		}
	}
	switch {
	case s.sometimes && held > 0, !s.sometimes && first == nil:
		s.results = append(s.results, res)
		return
	case first != nil && first.Why == skipWhy:
		res.Status = Skip
		res.notes = append(res.notes, fmt.Sprintf("%s skipped: the program wrote no mp trace", cmd))
		s.results = append(s.results, res)
		return
	}
	run := s.runs[firstRun]
	res.Status = Fail
	res.Run, res.Seed = run.Index+1, run.Seed
	res.lines = first.Lines
	if s.sometimes {
		res.Message = fmt.Sprintf("this never happened in any of the %d runs; for example, in run %d (seed %d): %s", len(s.runs), run.Index+1, run.Seed, first.Why)
	} else {
		res.Message = fmt.Sprintf("run %d of %d (seed %d): %s", run.Index+1, s.cfg.Runs, run.Seed, first.Why)
	}
	res.Output = excerpt(s.linesOf(firstRun, o), first.Lines)
	s.results = append(s.results, res)
	ts.Fatalf("%s", res.Message)
}

// skipWhy marks a violation that means the check does not apply.
const skipWhy = "\x00skip"

// excerpt shows the output around the offending lines, at most 20 lines.
func excerpt(lines []Line, marks []Line) string {
	if len(lines) == 0 {
		return "(no output)\n"
	}
	from := 0
	if len(marks) > 0 {
		from = max(0, marks[0].N-1-5)
	}
	if len(lines)-from < 20 {
		from = max(0, len(lines)-20)
	}
	var b strings.Builder
	for _, l := range lines[from:min(len(lines), from+20)] {
		mark := "  "
		for _, m := range marks {
			if m.N == l.N {
				mark = "> "
			}
		}
		fmt.Fprintf(&b, "%s%4d | %s\n", mark, l.N, l.Text)
	}
	return b.String()
}

func (s *script) cmdSometimes(ts *testscript.TestScript, neg bool, args []string) {
	for _, c := range commands {
		if c.name == args[0] && c.name != "run" && c.name != "serve" && c.name != "sometimes" {
			s.sometimes = true
			defer func() { s.sometimes = false }()
			s.dispatch(c, ts, neg, args[1:])
			return
		}
	}
	s.scriptError(ts, "sometimes", "sometimes: %q is not a check", args[0])
}

// pairCheck runs a check over two regexps, as after, sameset and disjoint do.
func (s *script) pairCheck(ts *testscript.TestScript, cmd string, args []string, desc string, check func([]Line, *regexp.Regexp, *regexp.Regexp) *Violation) {
	o, args := s.parseOpts(ts, cmd, args)
	a, b := s.compile(ts, cmd, args[0]), s.compile(ts, cmd, args[1])
	s.judge(ts, cmd, o, fmt.Sprintf(desc, a, b), func(r int) (*Violation, error) {
		return check(s.linesOf(r, o), a, b), nil
	})
}

// countCheck runs a check of the form REGEXP OP N, as count and distinct do.
func (s *script) countCheck(ts *testscript.TestScript, cmd string, args []string, desc string, check func([]Line, *regexp.Regexp, Op, int) *Violation) {
	o, args := s.parseOpts(ts, cmd, args)
	re, op, n := s.compile(ts, cmd, args[0]), s.op(ts, cmd, args[1]), s.atoi(ts, cmd, args[2])
	s.judge(ts, cmd, o, fmt.Sprintf(desc, op.words(), n, re), func(r int) (*Violation, error) {
		return check(s.linesOf(r, o), re, op, n), nil
	})
}

func (s *script) cmdCount(ts *testscript.TestScript, neg bool, args []string) {
	s.countCheck(ts, "count", args, "%s %d lines match `%s`", CheckCount)
}

func (s *script) cmdDistinct(ts *testscript.TestScript, neg bool, args []string) {
	s.countCheck(ts, "distinct", args, "%s %d distinct values match `%s`", CheckDistinct)
}

func (s *script) cmdAfter(ts *testscript.TestScript, neg bool, args []string) {
	s.pairCheck(ts, "after", args, "every line matching `%[2]s` comes after all lines matching `%[1]s`", CheckAfter)
}

func (s *script) cmdSameSet(ts *testscript.TestScript, neg bool, args []string) {
	s.pairCheck(ts, "sameset", args, "the values of `%s` are exactly the values of `%s`", CheckSameSet)
}

func (s *script) cmdDisjoint(ts *testscript.TestScript, neg bool, args []string) {
	s.pairCheck(ts, "disjoint", args, "no value of `%s` equals a value of `%s`", CheckDisjoint)
}

func (s *script) cmdAbsent(ts *testscript.TestScript, neg bool, args []string) {
	o, args := s.parseOpts(ts, "absent", args)
	re := s.compile(ts, "absent", args[0])
	s.judge(ts, "absent", o, fmt.Sprintf("no line matches `%s`", re), func(r int) (*Violation, error) {
		return CheckAbsent(s.linesOf(r, o), re), nil
	})
}

func (s *script) cmdBefore(ts *testscript.TestScript, neg bool, args []string) {
	o, args := s.parseOpts(ts, "before", args)
	a := s.compile(ts, "before", args[0])
	s.judge(ts, "before", o, fmt.Sprintf("each line matching `%s` comes before its `%s`", a, args[1]), func(r int) (*Violation, error) {
		return CheckBefore(s.linesOf(r, o), a, args[1])
	})
}

func (s *script) cmdCompare(ts *testscript.TestScript, neg bool, args []string) {
	o, args := s.parseOpts(ts, "compare", args)
	re, op := s.compile(ts, "compare", args[0]), s.op(ts, "compare", args[1])
	x, err := strconv.ParseFloat(args[2], 64)
	if err != nil {
		s.scriptError(ts, "compare", "compare: %q is not a number", args[2])
	}
	s.judge(ts, "compare", o, fmt.Sprintf("every value of `%s` is %s %v", re, op, x), func(r int) (*Violation, error) {
		return CheckCompare(s.linesOf(r, o), re, op, x), nil
	})
}

func (s *script) cmdTrace(ts *testscript.TestScript, neg bool, args []string) {
	o, args := s.parseOpts(ts, "trace", args)
	var desc string
	var check func([]Event) *Violation
	switch {
	case args[0] == "exit" && len(args) == 2:
		code := s.atoi(ts, "trace", args[1])
		desc = fmt.Sprintf("every child exits with code %d", code)
		check = func(ev []Event) *Violation { return CheckTraceExit(ev, code) }
	case args[0] == "mutex" && len(args) == 1:
		desc, check = "no two processes hold one lock at once", CheckTraceMutex
	case args[0] == "noorphans" && len(args) == 1:
		desc, check = "every child is joined and no process outlives the program", CheckNoOrphans
	case args[0] == "count" && len(args) == 4:
		op, n := s.op(ts, "trace", args[2]), s.atoi(ts, "trace", args[3])
		desc = fmt.Sprintf("the trace has %s %d %s events", op.words(), n, args[1])
		check = func(ev []Event) *Violation { return CheckTraceCount(ev, args[1], op, n) }
	default:
		s.scriptError(ts, "trace", "usage: trace %s", "[-m MSG] exit CODE | mutex | noorphans | count EVENT OP N")
	}
	o.stream = 0
	s.judge(ts, "trace", o, desc, func(r int) (*Violation, error) {
		run := s.runs[r]
		if args[0] == "noorphans" && run.Strays > 0 {
			return violate(fmt.Sprintf("%d processes were still running after the main process exited", run.Strays)), nil
		}
		f, err := os.Open(run.Trace)
		if err != nil {
			return &Violation{Why: skipWhy}, nil
		}
		defer f.Close()
		events, malformed := ParseTrace(f)
		if s.cfg.Verbose {
			for _, l := range malformed {
				ts.Logf("run %d: malformed trace line %d: %s", r+1, l.N, l.Text)
			}
		}
		return check(events), nil
	})
}

// seedFor returns the seed of repetition k: the base seed itself for the
// first, so that -n 1 -seed S reproduces any run whose seed was S.
func seedFor(base uint64, k int) uint64 {
	if k == 0 {
		return base
	}
	z := base + uint64(k)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// prepare makes repetition k's own copy of the script's work directory.
func (s *script) prepare(ts *testscript.TestScript, k int) (dir, trace string) {
	work := ts.Getenv("WORK")
	base := filepath.Join(work, ".runs", fmt.Sprintf("%d-%d", s.nrun, k))
	dir = base + ".work"
	err := filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		if rel == ".runs" || rel == ".tmp" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o777)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o666)
	})
	ts.Check(err)
	return dir, base + ".trace"
}

func (s *script) env(ts *testscript.TestScript, seed uint64, trace string, extra ...string) []string {
	var env []string
	for _, k := range s.envKeys {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	if ts.Getenv("GORACE") == "" {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	env = append(env, "MP_PERTURB="+strconv.FormatUint(seed, 10), "MP_TRACE="+trace)
	return append(env, extra...)
}

// parallel runs f for every repetition, at most runSlots at once. Once
// s.stop is set, repetitions not yet started are skipped, and it returns
// which ones ran.
func (s *script) parallel(f func(k int)) []bool {
	var wg sync.WaitGroup
	ran := make([]bool, s.cfg.Runs)
	for k := range s.cfg.Runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runSlots <- struct{}{}
			defer func() { <-runSlots }()
			if s.stop.Load() {
				return
			}
			ran[k] = true
			f(k)
		}()
	}
	wg.Wait()
	return ran
}

// parseCode reads -code N|any; any is returned as nil.
func (s *script) parseCode(ts *testscript.TestScript, cmd string, args []string, def *int) (*int, []string) {
	if len(args) >= 2 && args[0] == "-code" {
		if args[1] == "any" {
			return nil, args[2:]
		}
		n := s.atoi(ts, cmd, args[1])
		return &n, args[2:]
	}
	return def, args
}

func (s *script) cmdRun(ts *testscript.TestScript, neg bool, args []string) {
	zero := 0
	want := &zero
	timeout := s.cfg.Timeout
	for len(args) >= 2 && (args[0] == "-code" || args[0] == "-timeout") {
		if args[0] == "-code" {
			want, args = s.parseCode(ts, "run", args, want)
			continue
		}
		d, err := time.ParseDuration(args[1])
		if err != nil || d <= 0 {
			s.scriptError(ts, "run", "run: -timeout %q is not a positive duration such as 3s", args[1])
		}
		// The script's own limit, for programs that should end quickly;
		// -timeout on the command line still caps it.
		timeout = min(d, s.cfg.Timeout)
		args = args[2:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if neg {
		want = nil
	}
	s.nrun++
	s.conns = nil
	s.stop.Store(false)
	runs := make([]Run, s.cfg.Runs)
	ran := s.parallel(func(k int) {
		seed := seedFor(s.cfg.Seed, k)
		dir, trace := s.prepare(ts, k)
		r := execute(runSpec{
			argv:    append(append([]string(nil), s.program...), args...),
			dir:     dir,
			env:     s.env(ts, seed, trace),
			timeout: timeout,
			grace:   s.cfg.Grace,
		})
		r.Index, r.Seed, r.Trace = k, seed, trace
		runs[k] = r
		if r.TimedOut {
			// One deadlock is enough to judge; waiting out the same
			// timeout in every remaining run would only slow the verdict.
			s.stop.Store(true)
		}
	})
	s.runs = s.runs[:0]
	for k, r := range runs {
		if ran[k] {
			s.runs = append(s.runs, r)
		}
	}
	s.verdictOfRuns(ts, "run", neg, want, fmt.Sprintf("the program finishes within %v", timeout), timeout)
}

// verdictOfRuns records whether every run finished in time with the wanted code.
func (s *script) verdictOfRuns(ts *testscript.TestScript, cmd string, neg bool, want *int, desc string, timeout time.Duration) {
	res := CheckResult{Name: desc, Command: cmd, Status: Pass}
	for k, r := range s.runs {
		var why string
		tail := r.Lines
		switch {
		case r.Err != nil:
			s.scriptError(ts, cmd, "cannot start the program %q: %v", s.program[0], r.Err)
		case r.TimedOut:
			res.Status = Timeout
			why = fmt.Sprintf("timeout, possibly a deadlock: the program did not finish within %v", timeout)
			tail = r.Tail
		case neg && r.Code == 0:
			res.Status = Fail
			why = "the program exited with code 0; it should fail"
		case want != nil && r.Code != *want:
			res.Status = Fail
			why = fmt.Sprintf("the program exited with code %d; want %d", r.Code, *want)
			if r.Code < 0 {
				why = fmt.Sprintf("the program was killed by signal %d; want exit code %d", -r.Code, *want)
			}
		default:
			continue
		}
		if r.Truncated {
			why += fmt.Sprintf(" (its output was cut at %d bytes)", maxOutput)
		}
		res.Run, res.Seed = k+1, r.Seed
		res.Message = fmt.Sprintf("run %d of %d (seed %d): %s", r.Index+1, s.cfg.Runs, r.Seed, why)
		if len(tail) > 0 {
			res.lines = tail[max(0, len(tail)-3):]
		}
		if i := slices.IndexFunc(tail, func(l Line) bool { return crash.MatchString(l.Text) }); i >= 0 && !r.TimedOut {
			res.lines = tail[i : i+1]
			why += ": " + tail[i].Text
		}
		res.Output = excerpt(tail, res.lines)
		s.results = append(s.results, res)
		ts.Fatalf("%s", res.Message)
	}
	s.results = append(s.results, res)
}

// newScriptT adapts a script run to testscript.T outside go test.
type scriptT struct {
	verbose bool
	mu      sync.Mutex
	log     strings.Builder
	failed  bool
	skipped bool
}

type stopScript struct{}

func (t *scriptT) Skip(a ...any)  { t.Log(a...); t.skipped = true; panic(stopScript{}) }
func (t *scriptT) Fatal(a ...any) { t.Log(a...); t.FailNow() }
func (t *scriptT) Parallel()      {}
func (t *scriptT) FailNow()       { t.failed = true; panic(stopScript{}) }
func (t *scriptT) Verbose() bool  { return t.verbose }
func (t *scriptT) Log(a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(&t.log, a...)
}

func (t *scriptT) Run(name string, f func(testscript.T)) {
	defer catchStop()
	f(t)
}

func catchStop() {
	if r := recover(); r != nil {
		if _, ok := r.(stopScript); !ok {
			panic(r)
		}
	}
}

// runScript runs one grading script against program and returns the
// checks' verdicts and testscript's log.
func runScript(cfg *Config, file string, program []string) (results []CheckResult, log string, err error) {
	testing_Init()
	s := &script{cfg: cfg, program: program, file: file, seen: map[string]int{}}
	t := &scriptT{verbose: cfg.Verbose}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, "", fmt.Errorf("grade: %v", err)
	}
	for _, m := range envLine.FindAllStringSubmatch(string(text), -1) {
		s.envKeys = append(s.envKeys, m[1])
	}
	p := testscript.Params{
		Files:               []string{file},
		Cmds:                s.cmds(),
		RequireExplicitExec: true,
		Deadline:            time.Now().Add(30 * time.Minute),
		Setup: func(env *testscript.Env) error {
			for _, kv := range env.Vars {
				k, _, _ := strings.Cut(kv, "=")
				s.envKeys = append(s.envKeys, k)
			}
			return nil
		},
	}
	func() {
		defer catchStop()
		testscript.RunT(t, p)
	}()
	log = t.log.String()
	s.nameResults(string(text), log)
	if t.failed && !hasVerdict(s.results) {
		// A builtin command failed: report testscript's own message.
		m := failLine.FindStringSubmatch(log)
		res := CheckResult{Name: "script", Status: Fail, Message: strings.TrimSpace(log)}
		if m != nil {
			res.Message = m[2]
			res.Line, _ = strconv.Atoi(m[1])
			res.Name = phaseComment(string(text), res.Line, "script line "+m[1])
		}
		s.results = append(s.results, res)
	}
	return s.results, log, nil
}

var (
	crash    = regexp.MustCompile(`^(panic: |fatal error: )`)
	envLine  = regexp.MustCompile(`(?m)^\s*env\s+(\w+)=`)
	failLine = regexp.MustCompile(`(?m)^FAIL: .*:(\d+): (.*)$`)
)

func hasVerdict(rs []CheckResult) bool {
	for _, r := range rs {
		if r.Status != Pass && r.Status != Skip {
			return true
		}
	}
	return false
}

// nameResults finds each result's script line and, for a failure, names
// the rule by the phase comment above it when the script gave no -m.
func (s *script) nameResults(text, log string) {
	lines := strings.Split(text, "\n")
	nth := map[string]int{}
	for i := range s.results {
		r := &s.results[i]
		nth[r.Command]++
		r.Line = findCommandLine(lines, r.Command, nth[r.Command])
		if r.Status != Pass && r.Status != Skip {
			if m := failLine.FindStringSubmatch(log); m != nil {
				r.Line, _ = strconv.Atoi(m[1])
			}
		}
		if !r.named && r.Line > 0 {
			r.Name = phaseComment(text, r.Line, r.Name)
		}
	}
}

// findCommandLine returns the line number of the nth use of cmd, or 0.
func findCommandLine(lines []string, cmd string, nth int) int {
	for i, l := range lines {
		if strings.HasPrefix(l, "-- ") {
			break
		}
		f := strings.Fields(l)
		for len(f) > 0 && (strings.HasPrefix(f[0], "[") || f[0] == "!") {
			f = f[1:]
		}
		if len(f) > 0 && (f[0] == cmd || (f[0] == "sometimes" && len(f) > 1 && f[1] == cmd)) {
			if nth--; nth == 0 {
				return i + 1
			}
		}
	}
	return 0
}

// phaseComment returns the text of the nearest # comment above line n.
func phaseComment(text string, n int, def string) string {
	lines := strings.Split(text, "\n")
	for i := min(n, len(lines)) - 1; i >= 0; i-- {
		if c, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "#"); ok {
			return strings.TrimSpace(c)
		}
	}
	return def
}
