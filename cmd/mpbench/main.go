// Command mpbench measures mp side by side with Python's multiprocessing,
// in the same run, and prints their ratios.
//
// Usage (from the repository root):
//
//	go run ./cmd/mpbench [-rounds 3] [-scale 1] [-cgo 0]
//
// Each round measures every figure for mp (the program in ./probe, a
// minimal mp program), for the floor (executing a minimal static Go binary)
// and for Python 3 (the embedded baseline.py), one after the other, so that
// they share the machine's noise. A figure is the
// median within a round; the table prints the median over rounds, and each
// ratio is taken within a round first, then the median is printed with its
// min–max. docs/how-mp-works.md explains the results.
package main

import (
	"debug/elf"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

//go:embed baseline.py
var baselinePy []byte

func main() {
	rounds := flag.Int("rounds", 3, "rounds; each measures everything once")
	scale := flag.Float64("scale", 1, "multiplies the iterations of every measurement")
	cgo := flag.String("cgo", "0", "CGO_ENABLED for building the mp probe: 0 (static, as the grader builds) or 1")
	flag.Parse()
	if err := run(*rounds, *scale, *cgo); err != nil {
		fmt.Fprintln(os.Stderr, "mpbench:", err)
		os.Exit(1)
	}
}

// row is one line of the table: an mp figure and what it is compared with.
type row struct {
	what string
	unit string   // unit of the printed figures
	per  float64  // seconds per unit (1e-3 for ms); for a rate, items per unit (1e3 for k items/s)
	rate bool     // print per/seconds (items/s) instead of seconds/per
	mp   string   // key of the probe's output
	n    int      // iterations of the floor per round, before -scale
	py   []string // keys of baseline.py, compared as py/mp
	// floor, if set, is compared as mp/floor.
	floor func(n int) (float64, error)
	goal  string
}

func rows(floorBin string) []row {
	return []row{
		{
			what: "start+join, no-op child", unit: "ms", per: 1e-3, n: 200,
			mp:    "start_join",
			py:    []string{"start_join_fork", "start_join_forkserver", "start_join_spawn"},
			floor: execFloor(floorBin, 1),
			goal:  "≤ 1× Python fork; ≥ 20× faster than spawn; ≤ 1.5× floor",
		},
		{
			what: "10 started together, then joined", unit: "ms", per: 1e-3, n: 20,
			mp:    "start_join_10",
			py:    []string{"start_join_10_fork", "start_join_10_spawn"},
			floor: execFloor(floorBin, 10),
		},
		{what: "Lock acquire+release, uncontended", unit: "ns", per: 1e-9, mp: "lock_pair", py: []string{"lock_pair"}, goal: "≤ 50 ns"},
		{what: "2 processes, locked increments of a shared Value", unit: "M ops/s", per: 1e6, rate: true, mp: "contended_increment", py: []string{"contended_increment"}, goal: "≥ 10M ops/s"},
		{what: "Queue, 1 producer to 1 consumer, ints", unit: "k items/s", per: 1e3, rate: true, mp: "queue_item", py: []string{"queue_item"}, goal: "≥ 500k items/s"},
		{what: "Queue(100), same", unit: "k items/s", per: 1e3, rate: true, mp: "queue_bounded_item", py: []string{"queue_bounded_item"}, goal: "≥ 300k items/s"},
		{what: "JoinableQueue, TaskDone per item", unit: "k items/s", per: 1e3, rate: true, mp: "joinable_item", py: []string{"joinable_item"}, goal: "≥ 400k items/s"},
		{what: "Pipe round trip, small value", unit: "µs", per: 1e-6, mp: "pipe_round_trip", py: []string{"pipe_round_trip"}, goal: "≤ 20 µs"},
		{what: "Pipe, 1 KiB messages", unit: "MB/s", per: 1e6 / 1024, rate: true, mp: "pipe_kib", py: []string{"pipe_kib"}, goal: "≥ 1000 MB/s"},
		{what: "Pool(2) start+close+join", unit: "ms", per: 1e-3, mp: "pool_start", py: []string{"pool_start_fork", "pool_start_spawn"}, goal: "≤ 1× Python fork"},
		{what: "Pool(2) map, default chunks", unit: "M items/s", per: 1e6, rate: true, mp: "pool_map_item", py: []string{"pool_map_item"}},
	}
}

// show converts seconds into the row's printed unit.
func (x row) show(sec float64) float64 {
	if x.rate {
		return 1 / sec / x.per
	}
	return sec / x.per
}

func execFloor(bin string, k int) func(n int) (float64, error) {
	return func(n int) (float64, error) {
		return median(n, func() error {
			ps := make([]*os.Process, k)
			for i := range ps {
				p, err := os.StartProcess(bin, []string{bin}, &os.ProcAttr{})
				if err != nil {
					return err
				}
				ps[i] = p
			}
			for _, p := range ps {
				p.Wait()
			}
			return nil
		})
	}
}

// median runs f n times and returns the median duration in seconds.
func median(n int, f func() error) (float64, error) {
	ds := make([]float64, n)
	for i := range ds {
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(t).Seconds()
	}
	return med(ds), nil
}

func med(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	switch n := len(s); {
	case n == 0:
		return 0
	case n%2 == 0:
		return (s[n/2-1] + s[n/2]) / 2
	default:
		return s[n/2]
	}
}

// runJSON runs a measuring program and decodes the JSON object it prints.
func runJSON(name string, args ...string) (map[string]float64, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var m map[string]float64
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("%s printed %q: %w", name, out, err)
	}
	return m, nil
}

func run(rounds int, scale float64, cgo string) error {
	dir, err := os.MkdirTemp("", "mpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	floorBin, err := buildFloor(dir)
	if err != nil {
		return fmt.Errorf("cannot build the floor program (needs the go command): %w", err)
	}
	probeBin := filepath.Join(dir, "probe")
	build := exec.Command("go", "build", "-o", probeBin, "./cmd/mpbench/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("cannot build ./cmd/mpbench/probe (run mpbench from the repository root): %v\n%s", err, out)
	}
	script := filepath.Join(dir, "baseline.py")
	if err := os.WriteFile(script, baselinePy, 0o644); err != nil {
		return err
	}
	rs := rows(floorBin)
	type fig struct{ mp, floor []float64 }
	figs := make([]fig, len(rs))
	py := map[string][]float64{}
	for r := range rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d...\n", r+1, rounds)
		probed, err := runJSON(probeBin, fmt.Sprint(scale))
		if err != nil {
			return err
		}
		for i, x := range rs {
			n := max(3, int(float64(x.n)*scale))
			figs[i].mp = append(figs[i].mp, probed[x.mp])
			if x.floor != nil {
				v, err := x.floor(n)
				if err != nil {
					return fmt.Errorf("%s (floor): %w", x.what, err)
				}
				figs[i].floor = append(figs[i].floor, v)
			}
		}
		m, err := runJSON("python3", script, fmt.Sprint(scale))
		if err != nil {
			return fmt.Errorf("%w (is Python 3 installed?)", err)
		}
		for k, v := range m {
			py[k] = append(py[k], v)
		}
	}

	fmt.Printf("mp next to Python %s multiprocessing: %d rounds, medians (min–max of per-round ratios)\n", pythonVersion(), rounds)
	fmt.Printf("mp probe: %s\n\n", linkMode(probeBin))
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "measurement\tmp\tcompared with\tits figure\tratio\tgoal")
	for i, x := range rs {
		fmt.Fprintf(w, "%s (%s)\t%.3g\t\t\t\t%s\n", x.what, x.unit, x.show(med(figs[i].mp)), x.goal)
		for _, k := range x.py {
			ratios := make([]float64, len(py[k]))
			for j := range ratios {
				ratios[j] = py[k][j] / figs[i].mp[j]
			}
			fmt.Fprintf(w, "\t\tPython %s\t%.3g\t%s\t\n", pyLabel(k), x.show(med(py[k])), speedup(ratios))
		}
		if x.floor != nil {
			ratios := make([]float64, len(figs[i].floor))
			for j := range ratios {
				ratios[j] = figs[i].mp[j] / figs[i].floor[j]
			}
			fmt.Fprintf(w, "\t\tfloor: minimal static Go binary\t%.3g\t%s of the floor\t\n", x.show(med(figs[i].floor)), ratioText(ratios))
		}
	}
	return w.Flush()
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

// speedup words ratios of Python's time to mp's: above 1, mp is faster.
func speedup(rs []float64) string {
	if med(rs) >= 1 {
		return "mp " + ratioText(rs) + " faster"
	}
	inv := make([]float64, len(rs))
	for i, r := range rs {
		inv[i] = 1 / r
	}
	return "mp " + ratioText(inv) + " slower"
}

func ratioText(rs []float64) string {
	lo, hi := slices.Min(rs), slices.Max(rs)
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", med(rs), lo, hi)
}

// buildFloor builds the smallest Go program, statically linked: what
// executing a Go binary costs at least.
func buildFloor(dir string) (string, error) {
	src := filepath.Join(dir, "floor")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module floor\n\ngo 1.22\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "floor.bin")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s", err, out)
	}
	return bin, nil
}

// linkMode says whether this binary is dynamically linked: a program that
// imports net is, by default, when a C compiler is present, and then each
// child spends about a millisecond more in the dynamic loader and libc.
func linkMode(bin string) string {
	f, err := elf.Open(bin)
	if err != nil {
		return "unknown link mode"
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "dynamically linked (cgo), so each child spends about 1 ms more in the dynamic loader; -cgo=0 measures the static build"
		}
	}
	return "statically linked"
}

func pythonVersion() string {
	out, err := exec.Command("python3", "-c", "import platform; print(platform.python_version())").Output()
	if err != nil {
		return "3"
	}
	return strings.TrimSpace(string(out))
}
