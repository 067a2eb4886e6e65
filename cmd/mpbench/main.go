// Command mpbench measures mp side by side with Python's multiprocessing
// and with what the machine allows at best (its floors), in the same run,
// and prints the ratios.
//
// Usage (from the repository root):
//
//	go run ./cmd/mpbench [-floors] [-rounds 3] [-scale 1] [-builds static,default] [-before DIR] [-python PATH] [-only KEYS]
//	go run ./cmd/mpbench -breakdown [-scale 1] [-builds static,default] [-before DIR]
//	go run ./cmd/mpbench -trace [-rounds 3] [-scale 1] [-only KEYS]
//
// Each round runs, one after the other so that they share the machine's
// noise:
//
//   - mp's probe (./probe, a minimal mp program), once per build: "static"
//     is CGO_ENABLED=0, as the grader builds; "default" is what `go build`
//     and `go run` give a learner (with a C compiler installed, cgo is on,
//     and a program that links package net is then dynamically linked).
//     The default build measures process start only.
//   - with -floors, ./floor: minimal Go programs without mp (a static
//     `func main() {}` started and waited for, os.Pipe in 64 KiB writes, a
//     futex mutex in shared memory), the least each figure can cost here;
//   - with -before DIR, the probe of another checkout of this repository
//     (for example a worktree of main), in both builds, so that a change is
//     measured before and after in one run;
//   - CPython's multiprocessing (the embedded baseline.py), with the real
//     interpreter: `python3 -c 'import sys; print(sys.executable)'` is asked
//     once, so that a version manager's shim does not slow every start.
//
// With -breakdown, mpbench instead samples the CPU with perf(1) while the
// floor and the probe start children, and prints where each child's start
// goes, phase by phase (breakdown.go).
//
// The order of these rotates from round to round. A figure is a median
// within a round: of hundreds of timings for a start or a round trip, and
// of 5 runs (each a mean over its items) for a rate of two processes
// working together, where one run is a single sample that one unlucky
// scheduling decision can halve; the table prints the median over rounds. Every ratio is taken within a round, in the row's
// unit (so above 1 means slower for a time, faster for a rate), and is
// printed as its median over rounds followed by each round's value.
// docs/how-mp-works.md explains the results.
package main

import (
	"debug/elf"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

//go:embed baseline.py
var baselinePy []byte

func main() {
	var c config
	flag.IntVar(&c.rounds, "rounds", 3, "rounds; each measures everything once")
	flag.Float64Var(&c.scale, "scale", 1, "multiplies the iterations of every measurement")
	flag.BoolVar(&c.floors, "floors", false, "also measure the machine's floors and print mp / floor with the goals")
	flag.StringVar(&c.builds, "builds", "static,default", "builds of the mp probe: static (CGO_ENABLED=0), default (the go command's default), or both")
	flag.StringVar(&c.before, "before", "", "a checkout of an earlier version of this repository, measured in the same rounds")
	flag.StringVar(&c.python, "python", "", "the Python interpreter (default: python3's sys.executable; none to skip Python)")
	flag.BoolVar(&c.breakdown, "breakdown", false, "instead of the table, profile where a child's start goes, with perf, for the floor and each build")
	flag.BoolVar(&c.trace, "trace", false, "instead of the table, measure the static probe with MP_TRACE unset and set, in the same rounds (trace.go)")
	flag.StringVar(&c.only, "only", "", "comma-separated keys of the rows to measure, e.g. start_join,start_join_10 (Python measures every row)")
	flag.Parse()
	do := run
	if c.breakdown {
		do = runBreakdown
	}
	if c.trace {
		do = runTrace
	}
	if err := do(c); err != nil {
		fmt.Fprintln(os.Stderr, "mpbench:", err)
		os.Exit(1)
	}
}

type config struct {
	rounds int
	scale  float64
	floors bool
	builds string
	before string
	python string
	only   string

	breakdown bool
	trace     bool
}

// goal is a bound on mp / floor, in the row's unit.
type goal struct {
	atMost bool // mp / floor ≤ x (a time); otherwise ≥ x (a rate)
	x      float64
}

func (g goal) met(r float64) bool {
	if g.atMost {
		return r <= g.x
	}
	return r >= g.x
}

func (g goal) String() string {
	if g.atMost {
		return fmt.Sprintf("≤ %.2g× floor", g.x)
	}
	return fmt.Sprintf("≥ %.2g× floor", g.x)
}

// row is one measurement: the same key names it in the probe's, the
// floor's and (as py) Python's output.
type row struct {
	what  string
	unit  string   // unit of the printed figures
	per   float64  // seconds per unit (1e-3 for ms); for a rate, items per unit (1e3 for k items/s)
	rate  bool     // print per/seconds (items/s) instead of seconds/per
	key   string   // key of the probe's output
	py    []string // keys of baseline.py
	floor string   // what the floor is, if the floor program measures it
	fkey  string   // key of the floor's output, if not key
	goal  *goal    // on mp / floor
	start bool     // process start: measured in every build
}

var rows = []row{
	{what: "start+join, no-op child", unit: "ms", per: 1e-3, key: "start_join", start: true,
		py:    []string{"start_join_fork", "start_join_forkserver", "start_join_spawn"},
		floor: "minimal static Go binary, started and waited", goal: &goal{atMost: true, x: 1.2}},
	{what: "10 started together, then joined", unit: "ms", per: 1e-3, key: "start_join_10", start: true,
		py:    []string{"start_join_10_fork", "start_join_10_spawn"},
		floor: "10 minimal static Go binaries", goal: &goal{atMost: true, x: 1.2}},
	{what: "the mp program itself, started and waited, exiting before mp.Main", unit: "ms", per: 1e-3, key: "start_bare", start: true,
		floor: "minimal static Go binary, started and waited", fkey: "start_join"},
	{what: "Pipe, 1 KiB messages (SendBytes, RecvBytes)", unit: "MB/s", per: 1e6 / 1024, rate: true, key: "pipe_kib",
		py:    []string{"pipe_kib"},
		floor: "os.Pipe between 2 processes, 64 KiB writes", goal: &goal{x: 0.5}},
	{what: "Pipe, 1 KiB messages into one buffer (SendBytes, RecvBytesInto), no goal", unit: "MB/s", per: 1e6 / 1024, rate: true, key: "pipe_kib_into",
		floor: "os.Pipe between 2 processes, 64 KiB writes", fkey: "pipe_kib"},
	{what: "Queue, 1 KiB []byte items", unit: "MB/s", per: 1e6 / 1024, rate: true, key: "queue_kib",
		py:    []string{"queue_kib"},
		floor: "os.Pipe between 2 processes, 64 KiB writes", fkey: "pipe_kib", goal: &goal{x: 0.5}},
	{what: "Lock acquire+release, uncontended", unit: "ns", per: 1e-9, key: "lock_pair",
		py:    []string{"lock_pair"},
		floor: "futex mutex on shared memory", goal: &goal{atMost: true, x: 1.5}},
	{what: "2 processes, locked increments of a shared Value", unit: "M ops/s", per: 1e6, rate: true, key: "contended_increment",
		py:    []string{"contended_increment"},
		floor: "2 processes, futex mutex on shared memory", goal: &goal{x: 0.8}},
	{what: "Queue, 1 producer to 1 consumer, ints", unit: "k items/s", per: 1e3, rate: true, key: "queue_item", py: []string{"queue_item"}},
	{what: "Queue(100), same", unit: "k items/s", per: 1e3, rate: true, key: "queue_bounded_item", py: []string{"queue_bounded_item"}},
	{what: "JoinableQueue, TaskDone per item", unit: "k items/s", per: 1e3, rate: true, key: "joinable_item", py: []string{"joinable_item"}},
	{what: "Pipe round trip, small value", unit: "µs", per: 1e-6, key: "pipe_round_trip", py: []string{"pipe_round_trip"}},
	{what: "Pool(2) start+close+join", unit: "ms", per: 1e-3, key: "pool_start", py: []string{"pool_start_fork", "pool_start_spawn"}},
	{what: "Pool(2) map, default chunks", unit: "M items/s", per: 1e6, rate: true, key: "pool_map_item", py: []string{"pool_map_item"}},
}

func (x row) floorKey() string {
	if x.fkey != "" {
		return x.fkey
	}
	return x.key
}

// show converts seconds into the row's printed unit.
func (x row) show(sec float64) float64 {
	if x.rate {
		return 1 / sec / x.per
	}
	return sec / x.per
}

// subject is one program that prints figures: a probe build, the floor, or
// Python. Its output is kept per round.
type subject struct {
	label string
	cmd   []string
	only  []string // the keys it is asked to measure; nil for all
	got   []map[string]float64
}

// fig returns key's figure in each round; NaN where it was not measured.
func (s *subject) fig(key string) []float64 {
	xs := make([]float64, len(s.got))
	for i, m := range s.got {
		v, ok := m[key]
		if !ok || v <= 0 {
			v = math.NaN()
		}
		xs[i] = v
	}
	return xs
}

// probeBuild is one build of mp's probe.
type probeBuild struct {
	name string // "static" or "default"
	desc string
	env  []string
}

var probeBuilds = map[string]probeBuild{
	"static":  {"static", "CGO_ENABLED=0", []string{"CGO_ENABLED=0"}},
	"default": {"default", "default build", nil},
}

// parseBuilds reads -builds.
func parseBuilds(list string) ([]probeBuild, error) {
	var bs []probeBuild
	for _, name := range strings.Split(list, ",") {
		b, ok := probeBuilds[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("-builds: unknown build %q (want static, default or both, comma-separated)", name)
		}
		bs = append(bs, b)
	}
	return bs, nil
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "mpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var only []string
	if c.only != "" {
		only = strings.Split(c.only, ",")
	}
	var startKeys []string
	for _, x := range rows {
		if x.start && (only == nil || slices.Contains(only, x.key)) {
			startKeys = append(startKeys, x.key)
		}
	}
	type version struct{ tree, label string }
	versions := []version{{".", "mp"}}
	if c.before != "" {
		versions = append(versions, version{c.before, "before: mp"})
	}
	var subjects []*subject
	var cur *subject // the probe compared with Python
	var links []string
	builds, err := parseBuilds(c.builds)
	if err != nil {
		return err
	}
	for vi, v := range versions {
		for bi, b := range builds {
			bin := filepath.Join(dir, fmt.Sprintf("probe-%d-%s", vi, b.name))
			if err := goBuild(v.tree, "./cmd/mpbench/probe", bin, b.env); err != nil {
				return fmt.Errorf("cannot build the probe of %s (run mpbench from the repository root): %w", v.tree, err)
			}
			s := &subject{label: v.label + ", " + b.desc, cmd: []string{bin, fmt.Sprint(c.scale)}, only: only}
			if bi > 0 {
				s.only = startKeys
			}
			if s.only != nil {
				s.cmd = append(s.cmd, strings.Join(s.only, ","))
			}
			if vi == 0 && (cur == nil || b.name == "static") {
				cur = s
			}
			links = append(links, fmt.Sprintf("%s: %s", s.label, linkMode(bin)))
			subjects = append(subjects, s)
		}
	}
	var floor *subject
	if c.floors {
		noop := filepath.Join(dir, "noop")
		floorBin := filepath.Join(dir, "floor")
		for pkg, bin := range map[string]string{"./cmd/mpbench/floor/noop": noop, "./cmd/mpbench/floor": floorBin} {
			if err := goBuild(".", pkg, bin, []string{"CGO_ENABLED=0"}); err != nil {
				return fmt.Errorf("cannot build %s: %w", pkg, err)
			}
		}
		floor = &subject{label: "floor", cmd: []string{floorBin, noop, fmt.Sprint(c.scale)}, only: only}
		if only != nil {
			floor.cmd = append(floor.cmd, c.only)
		}
		subjects = append(subjects, floor)
	}
	var py *subject
	pyExe, pyVersion, err := resolvePython(c.python)
	if err != nil {
		return err
	}
	if pyExe != "" {
		script := filepath.Join(dir, "baseline.py")
		if err := os.WriteFile(script, baselinePy, 0o644); err != nil {
			return err
		}
		py = &subject{label: "CPython", cmd: []string{pyExe, script, fmt.Sprint(c.scale)}}
		subjects = append(subjects, py)
	}

	for r := range c.rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d...\n", r+1, c.rounds)
		for i := range subjects {
			s := subjects[(i+r)%len(subjects)]
			m, err := runJSON(s.cmd)
			if err != nil {
				return fmt.Errorf("%s: %w", s.label, err)
			}
			s.got = append(s.got, m)
		}
	}

	fmt.Printf("mp")
	if floor != nil {
		fmt.Printf(", the machine's floors")
	}
	if py != nil {
		fmt.Printf(" and CPython %s multiprocessing (%s)", pyVersion, pyExe)
	}
	fmt.Printf(": %d rounds. Figures are medians over rounds; a ratio is mp / the line's figure in the row's unit, its median, then each round's.\n", c.rounds)
	for _, l := range links {
		fmt.Println(l)
	}
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	var probes []*subject
	for _, s := range subjects {
		if s != floor && s != py {
			probes = append(probes, s)
		}
	}
	var before *subject // the probe of -before compared with Python
	for _, s := range probes {
		if strings.HasPrefix(s.label, "before") && (before == nil || strings.Contains(s.label, "CGO_ENABLED=0")) {
			before = s
		}
	}
	for _, x := range rows {
		if only != nil && !slices.Contains(only, x.key) {
			continue
		}
		fmt.Fprintf(w, "%s (%s)\t\t\t\n", x.what, x.unit)
		if floor != nil && x.floor != "" {
			fmt.Fprintf(w, "  floor: %s\t%s\t\t\n", x.floor, num(x.show(med(floor.fig(x.floorKey())))))
		}
		for _, s := range probes {
			mp := s.fig(x.key)
			if allNaN(mp) || (s.only != nil && !slices.Contains(s.only, x.key)) {
				continue
			}
			fmt.Fprintf(w, "  %s\t%s\t", s.label, num(x.show(med(mp))))
			if floor != nil && x.floor != "" {
				rs := ratios(x, mp, floor.fig(x.floorKey()))
				fmt.Fprintf(w, "%s of the floor\t", ratioText(rs))
				if x.goal != nil {
					fmt.Fprintf(w, "goal %s: %s", x.goal, metText(*x.goal, rs))
				}
			} else {
				fmt.Fprintf(w, "\t")
			}
			fmt.Fprintln(w)
		}
		if py == nil {
			continue
		}
		for _, k := range x.py {
			fmt.Fprintf(w, "  CPython %s\t%s\t", pyLabel(k), num(x.show(med(py.fig(k)))))
			fmt.Fprintf(w, "mp %s of it", ratioText(ratios(x, cur.fig(x.key), py.fig(k))))
			if before != nil && !allNaN(before.fig(x.key)) {
				fmt.Fprintf(w, "; before %s", ratioText(ratios(x, before.fig(x.key), py.fig(k))))
			}
			fmt.Fprintln(w, "\t")
		}
	}
	return w.Flush()
}

// ratios returns mp / other per round, in the row's unit.
func ratios(x row, mp, other []float64) []float64 {
	rs := make([]float64, min(len(mp), len(other)))
	for i := range rs {
		rs[i] = x.show(mp[i]) / x.show(other[i])
	}
	return rs
}

func ratioText(rs []float64) string {
	var each []string
	for _, r := range rs {
		each = append(each, fmt.Sprintf("%.3g", r))
	}
	return fmt.Sprintf("%.3g× (%s)", med(rs), strings.Join(each, " "))
}

func metText(g goal, rs []float64) string {
	met := 0
	for _, r := range rs {
		if g.met(r) {
			met++
		}
	}
	verdict := "met"
	if !g.met(med(rs)) {
		verdict = "missed"
	}
	return fmt.Sprintf("%s (in %d of %d rounds)", verdict, met, len(rs))
}

func num(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.3g", v)
}

func allNaN(xs []float64) bool {
	for _, x := range xs {
		if !math.IsNaN(x) {
			return false
		}
	}
	return true
}

// med is the median of the numbers that are not NaN (NaN if none are).
func med(xs []float64) float64 {
	s := slices.DeleteFunc(slices.Clone(xs), math.IsNaN)
	slices.Sort(s)
	switch n := len(s); {
	case n == 0:
		return math.NaN()
	case n%2 == 0:
		return (s[n/2-1] + s[n/2]) / 2
	default:
		return s[n/2]
	}
}

// goBuild builds pkg of the module at tree into bin, with env added.
func goBuild(tree, pkg, bin string, env []string) error {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", abs, pkg)
	cmd.Dir = tree
	cmd.Env = append(withoutCgoSetting(os.Environ()), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// withoutCgoSetting drops CGO_ENABLED, so that the default build is what
// the go command chooses by itself, as for a learner.
func withoutCgoSetting(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "CGO_ENABLED=")
	})
}

// runJSON runs a measuring program and decodes the JSON object it prints.
func runJSON(argv []string) (map[string]float64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var m map[string]float64
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("printed %q: %w", out, err)
	}
	return m, nil
}

// resolvePython returns the real interpreter and its version: a version
// manager's python3 is often a shell script that takes longer to start
// than the interpreter, which every spawn-started child would pay.
func resolvePython(flagValue string) (exe, version string, err error) {
	switch flagValue {
	case "none":
		return "", "", nil
	case "":
		out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		if err != nil {
			return "", "", fmt.Errorf("cannot find python3 (install Python 3, pass -python PATH, or -python none): %v", err)
		}
		flagValue = strings.TrimSpace(string(out))
	}
	out, err := exec.Command(flagValue, "-c", "import platform; print(platform.python_version())").Output()
	if err != nil {
		return "", "", fmt.Errorf("cannot run %s: %v", flagValue, err)
	}
	return flagValue, strings.TrimSpace(string(out)), nil
}

// pyLabel names a Python measurement by its start method, if any.
func pyLabel(key string) string {
	for _, m := range []string{"fork", "forkserver", "spawn"} {
		if strings.HasSuffix(key, "_"+m) {
			return m
		}
	}
	return "multiprocessing"
}

// linkMode says whether a binary is dynamically linked: a program that
// links package net is, by default, when a C compiler is present, and each
// child it starts then spends time in the dynamic loader and libc.
func linkMode(bin string) string {
	f, err := elf.Open(bin)
	if err != nil {
		return "unknown link mode"
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "dynamically linked"
		}
	}
	return "statically linked"
}
