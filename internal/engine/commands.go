package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// opt is one option a command declares: a flag, or one that takes a value.
type opt struct {
	name  string // as in -m
	value string // the value's name, as in MSG; "" for a flag
	usage string
}

// command is one script command. Each declares its usage and options
// once; the parser, the help and docs/checks.md are made from it.
type command struct {
	name    string
	args    string // the positional arguments, as in "REGEXP OP N"
	summary string
	opts    []opt
	min     int  // fewest positional arguments
	max     int  // most, or -1
	neg     bool // may be negated with !
	check   bool // reads the last run or serve; may follow sometimes
	prepare func(c *call) (func(*state) error, error)
}

// Options shared by the checks of lines.
var (
	optMsg     = opt{"-m", "MSG", "the rule in words, shown when it breaks"}
	optZh      = opt{"-zh", "MSG", "the rule in words in Chinese, shown instead of -m to a learner who reads Chinese"}
	optWeight  = opt{"-weight", "N", "the rule's share of the exercise's points (default 1)"}
	optStdout  = opt{"-stdout", "", "read standard output only"}
	optStderr  = opt{"-stderr", "", "read standard error only"}
	optFile    = opt{"-file", "FILE", "read FILE of the run's work directory instead of the output"}
	optReplies = opt{"-replies", "", "read the replies the clients of the last serve got"}
	lineOpts   = []opt{optMsg, optZh, optWeight, optStdout, optStderr, optFile, optReplies}
	ruleOpts   = []opt{optMsg, optZh, optWeight}
	codeOpt    = opt{"-code", "N|any", "the exit code every run must have (default 0)"}
	timeoutOpt = opt{"-timeout", "D", "the time limit of each run, before scaling to the machine's load (default: the exercise's)"}
)

// commands are the script commands, sorted by name. Update docs/checks.md
// (TestChecksDocIsComplete tells what is missing)
// when adding or changing one.
var commands []*command

func init() {
	commands = []*command{
		{name: "absent", args: "REGEXP", summary: "no line matches REGEXP", opts: lineOpts, min: 1, max: 1, check: true, prepare: prepareAbsent},
		{name: "after", args: "A B", summary: "a line matches B, and every such line comes after all lines matching A", opts: lineOpts, min: 2, max: 2, check: true, prepare: prepareAfter},
		{name: "lead", args: "A N B", summary: "at least N lines matching A come before the first line matching B: with sometimes, that tasks overlap (a second starts before the first ends)", opts: lineOpts, min: 3, max: 3, check: true, prepare: prepareLead},
		{name: "before", args: "A B", summary: "each line matching A is followed by a line matching B (A's captures replace $1, ${name} in B), and the first such B line comes after the first such A line", opts: lineOpts, min: 2, max: 2, check: true, prepare: prepareBefore},
		{name: "compare", args: "REGEXP OP NUMBER", summary: "every value captured by REGEXP is a number that compares to NUMBER by OP", opts: lineOpts, min: 3, max: 3, check: true, prepare: prepareCompare},
		{name: "count", args: "REGEXP OP N", summary: "the number of lines matching REGEXP compares to N by OP", opts: lineOpts, min: 3, max: 3, check: true, prepare: prepareCount},
		{name: "disjoint", args: "A B", summary: "no value captured by A equals a value captured by B", opts: lineOpts, min: 2, max: 2, check: true, prepare: prepareDisjoint},
		{name: "distinct", args: "REGEXP OP N", summary: "the number of distinct values captured by REGEXP compares to N by OP", opts: lineOpts, min: 3, max: 3, check: true, prepare: prepareDistinct},
		{name: "env", args: "KEY=VALUE...", summary: "set variables for the runs that follow", min: 1, max: -1, prepare: prepareEnv},
		{name: "held", args: "OP N", summary: "once the clients of the last serve have closed their connections, the server's main process holds OP N of them (a server that hands each connection to a child must close its own copy)", opts: []opt{optMsg, optZh, optWeight, {"-all", "", "count the connections every process of the server holds, not only its main process's (a pool worker must close a connection it has served)"}}, min: 2, max: 2, check: true, prepare: prepareHeld},
		{name: "overlap", args: "OP N", summary: "the most connections served at once compares to N by OP", opts: ruleOpts, min: 2, max: 2, check: true, prepare: prepareOverlap},
		{name: "replies", args: "TEMPLATE", summary: "every line sent got a reply matching TEMPLATE, where {sent} and {SENT} stand for the line sent and its upper case", opts: ruleOpts, min: 1, max: 1, check: true, prepare: prepareReplies},
		{name: "run", args: "[ARGS...]", summary: "run the program -n times; each run must finish within its time limit and exit with the code wanted; after a timeout the runs not yet started are skipped", opts: []opt{codeOpt, timeoutOpt}, min: 0, max: -1, neg: true, prepare: prepareRun},
		{name: "sameset", args: "A B", summary: "the values captured by A, with repetitions, are the values captured by B", opts: lineOpts, min: 2, max: 2, check: true, prepare: prepareSameSet},
		{name: "serve", args: "LINE...", summary: "start the server -n times, each with PORT and HOST set; K clients each send the LINEs ({i} is the client's number) and read a reply to each; then stop it; after a run whose clients got no reply, the runs not yet started are skipped", opts: []opt{
			{"-k", "K", "how many clients connect at once (default 1)"},
			{"-hold", "D", "how long each client keeps its connection open after its first reply"},
			{"-together", "", "each client keeps its connection open after its first reply until every client has had one, for at most -hold scaled to the machine's load: a server that serves clients side by side then serves all K at once in every run, however slowly it starts them"},
			codeOpt, timeoutOpt,
		}, min: 1, max: -1, prepare: prepareServe},
		{name: "source", args: "errors CALL... | results CALL... | before FUNC A B | nocall FUNC CALL... | noloop FUNC CALL... | inloop A CALL...", summary: "a rule about the program's Go source, for mistakes that leave nothing to observe at run time: errors, no call of CALL drops its error result; results, no call of CALL drops its first result (the exited of JoinTimeout); before, function FUNC calls A before it first calls B; nocall, function FUNC calls no CALL; noloop, FUNC calls no CALL inside a loop (before, nocall and noloop follow FUNC into the program's functions it calls by name, but not into what it runs with go or defer); inloop, no loop that calls A also calls CALL, itself or through a function of the program (a call run by go or defer does not count)", opts: ruleOpts, min: 2, max: -1, prepare: prepareSource},
		{name: "sometimes", args: "CHECK ARGS...", summary: "the check must hold in at least one run rather than in every run", min: 1, max: -1, prepare: prepareSometimes},
		{name: "trace", args: "exit CODE | mutex | interleave | noorphans | count EVENT OP N | after A B | before A B KEY [UNTIL] | lead A N B | ahead A N B | printed A REGEXP | names REGEXP", summary: "a rule about the mp trace of each run; EVENT, A, B and UNTIL are a kind with optional key=value filters, as 'start daemon=true'; interleave: some process takes a lock between another's first and last hold of it (with sometimes: processes take turns for each update, not for all their work); before: every A event is followed by a B event with the same KEY attribute, as every started child by its join, and with UNTIL, by one that comes before the next UNTIL event with that KEY; lead: N A events come before the first B event; ahead: the same, and a trace with no B event holds; printed: every line matching REGEXP is printed after every A event", opts: ruleOpts, min: 1, max: 5, check: true, prepare: prepareTrace},
	}
}

func lookup(name string) (*command, bool) {
	i := slices.IndexFunc(commands, func(c *command) bool { return c.name == name })
	if i < 0 {
		return nil, false
	}
	return commands[i], true
}

func commandNames() string {
	var ns []string
	for _, c := range commands {
		ns = append(ns, c.name)
	}
	return strings.Join(ns, ", ")
}

// usage is the command's one-line synopsis.
func (c *command) usage() string {
	var b strings.Builder
	b.WriteString(c.name)
	for _, o := range c.opts {
		if o.value != "" {
			fmt.Fprintf(&b, " [%s %s]", o.name, o.value)
		} else {
			fmt.Fprintf(&b, " [%s]", o.name)
		}
	}
	if c.args != "" {
		b.WriteString(" " + c.args)
	}
	return b.String()
}

// Usage lists every script command with its synopsis, summary and options,
// for help output and docs/checks.md.
func Usage() string {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "%s\n\t%s\n", c.usage(), c.summary)
		for _, o := range c.opts {
			fmt.Fprintf(&b, "\t%s: %s\n", strings.TrimSpace(o.name+" "+o.value), o.usage)
		}
	}
	return b.String()
}

// call is a statement bound to its command, with its options parsed.
type call struct {
	*Stmt
	cmd       *command
	opts      map[string]string
	args      []string
	sometimes bool
}

// parse binds a statement's words to the command's options and arguments,
// the one way every command is parsed: options first, each declared once;
// -- ends them; a negative number is an argument, not an option.
func (c *command) parse(st *Stmt, words []string) (*call, error) {
	cl := &call{Stmt: st, cmd: c, opts: map[string]string{}}
	i := 0
	for ; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			i++
			break
		}
		if !strings.HasPrefix(w, "-") || len(w) == 1 || isNumber(w) {
			break
		}
		j := slices.IndexFunc(c.opts, func(o opt) bool { return o.name == w })
		if j < 0 {
			return nil, c.errorf("unknown option %s", w)
		}
		if _, dup := cl.opts[w]; dup {
			return nil, c.errorf("option %s given twice", w)
		}
		if c.opts[j].value == "" {
			cl.opts[w] = ""
			continue
		}
		if i+1 >= len(words) {
			return nil, c.errorf("option %s needs a value %s", w, c.opts[j].value)
		}
		i++
		cl.opts[w] = words[i]
	}
	cl.args = words[i:]
	if len(cl.args) < c.min || c.max >= 0 && len(cl.args) > c.max {
		return nil, c.errorf("wrong number of arguments")
	}
	if st.Neg && !c.neg {
		return nil, fmt.Errorf("%s does not take !; state the rule positively (docs/checks.md)", c.name)
	}
	if _, ok := cl.opts["-stdout"]; ok {
		if _, ok := cl.opts["-stderr"]; ok {
			return nil, c.errorf("-stdout and -stderr exclude each other")
		}
	}
	if w, ok := cl.opts["-weight"]; ok {
		if n, err := strconv.Atoi(w); err != nil || n < 0 {
			return nil, c.errorf("-weight %q is not a whole number of 0 or more", w)
		}
	}
	return cl, nil
}

func (c *command) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s; usage: %s", c.name, fmt.Sprintf(format, args...), c.usage())
}

func isNumber(s string) bool { _, err := strconv.ParseFloat(s, 64); return err == nil }

func (c *call) has(o string) bool { _, ok := c.opts[o]; return ok }

// errorf returns a ScriptError at the call's line.
func (c *call) errorf(format string, args ...any) error {
	return &ScriptError{c.Pos, c.cmd.name + ": " + fmt.Sprintf(format, args...)}
}

func (c *call) regexp(s string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, c.errorf("bad regexp %q: %v", s, err)
	}
	return re, nil
}

func (c *call) op(s string) (Op, error) {
	if slices.Contains(ops, Op(s)) {
		return Op(s), nil
	}
	return "", c.errorf("unknown comparison %q; use one of == != < <= > >=", s)
}

// count parses a count N: a whole number of 0 or more.
func (c *call) count(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, c.errorf("%q is not a whole number of 0 or more", s)
	}
	return n, nil
}

func (c *call) duration(o string) (time.Duration, bool, error) {
	v, ok := c.opts[o]
	if !ok {
		return 0, false, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d == 0 && o == "-timeout" {
		return 0, false, c.errorf("%s %q is not a positive duration such as 3s", o, v)
	}
	return d, true, nil
}

func (c *call) weight() int {
	if w, ok := c.opts["-weight"]; ok {
		n, _ := strconv.Atoi(w)
		return n
	}
	return 1
}
