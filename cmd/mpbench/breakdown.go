package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// breakdown answers "where does a child's start go?" with perf(1): it
// samples the CPU while the floor starts its minimal binary and while mp's
// probe starts no-op children, and sorts each sample of a child by the
// deepest phase on its stack. It prints, per phase, the CPU time each child
// spends, for the floor and for each build of mp.
//
// It needs perf, and the permission to sample (root, or a low
// kernel.perf_event_paranoid).

// sampleHz is perf's sampling frequency: one sample every 50 µs.
const sampleHz = 20000

// phase is a bucket of samples: the first phase whose pattern matches a
// frame of the sample's stack (or its binary) takes it.
type phase struct {
	name     string
	patterns []string
}

var phases = []phase{
	{"kernel: execve (loading the binary)", []string{"execve", "load_elf_binary", "begin_new_exec", "bprm_"}},
	{"kernel: exit (unmapping, closing)", []string{"do_exit", "do_group_exit", "exit_mmap"}},
	{"dynamic loader and libc", []string{"ld-linux", "libc.so", "libpthread", "_dl_"}},
	{"Go runtime: initialisation", []string{"runtime.schedinit", "runtime.mallocinit", "runtime.osinit", "runtime.rt0_go", "internal/cpu."}},
	{"package initialisation", []string{"runtime.doInit"}},
	{"main: mp.Main, bootstrap, target, Finish", []string{"main.main"}},
	{"Go runtime: threads", []string{"runtime.mstart", "runtime.newm", "clone"}},
	{"Go runtime: the rest (scheduler, GC start, stack growth)", []string{"runtime."}},
	{"other (page faults, signals)", []string{""}},
}

func runBreakdown(c config) error {
	if _, err := exec.LookPath("perf"); err != nil {
		return fmt.Errorf("-breakdown needs perf (Debian: apt-get install linux-perf): %v", err)
	}
	dir, err := os.MkdirTemp("", "mpbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	noop := filepath.Join(dir, "noop")
	floorBin := filepath.Join(dir, "floor")
	for pkg, bin := range map[string]string{"./cmd/mpbench/floor/noop": noop, "./cmd/mpbench/floor": floorBin} {
		if err := goBuild(".", pkg, bin, []string{"CGO_ENABLED=0"}); err != nil {
			return err
		}
	}
	n := max(3, int(200*c.scale))
	type subjectRun struct {
		label, comm string
		cmd         []string
	}
	runs := []subjectRun{{"floor", "noop", []string{floorBin, noop, fmt.Sprint(c.scale), "start_join"}}}
	trees := []struct{ dir, label string }{{".", "mp"}}
	if c.before != "" {
		trees = append(trees, struct{ dir, label string }{c.before, "before: mp"})
	}
	builds, err := parseBuilds(c.builds)
	if err != nil {
		return err
	}
	for ti, tree := range trees {
		for _, b := range builds {
			bin := filepath.Join(dir, fmt.Sprintf("startonly-%d-%s", ti, b.name))
			if err := buildStartOnly(tree.dir, bin, b.env); err != nil {
				return err
			}
			// A child is /proc/self/exe executed again: its comm is "exe".
			runs = append(runs, subjectRun{tree.label + ", " + b.desc + " (" + linkMode(bin) + ")", "exe", []string{bin, fmt.Sprint(n)}})
		}
	}
	perChild := make([]map[string]float64, len(runs))
	totals := make([]float64, len(runs))
	for i, r := range runs {
		data := filepath.Join(dir, fmt.Sprintf("perf%d.data", i))
		rec := exec.Command("perf", append([]string{"record", "-q", "-F", fmt.Sprint(sampleHz), "-e", "cpu-clock", "-g", "-o", data, "--"}, r.cmd...)...)
		rec.Stderr = os.Stderr
		if err := rec.Run(); err != nil {
			return fmt.Errorf("perf record %s: %v", r.label, err)
		}
		counts, err := bucketSamples(data, r.comm)
		if err != nil {
			return err
		}
		perChild[i] = map[string]float64{}
		for name, k := range counts {
			us := float64(k) * 1e6 / sampleHz / float64(n)
			perChild[i][name] = us
			totals[i] += us
		}
	}
	fmt.Printf("CPU time per child start, in µs, sampled by perf at %d Hz over %d starts each\n\n", sampleHz, n)
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "phase\t")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t", r.label)
	}
	fmt.Fprintln(w)
	for _, p := range phases {
		fmt.Fprintf(w, "%s\t", p.name)
		for i := range runs {
			fmt.Fprintf(w, "%.0f\t", perChild[i][p.name])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "total\t")
	for i := range runs {
		fmt.Fprintf(w, "%.0f\t", totals[i])
	}
	fmt.Fprintln(w)
	return w.Flush()
}

// startOnly is the mp program that -breakdown profiles: it starts and joins
// n no-op children, and nothing else. It uses only the API every version
// of mp has, so that it builds in a checkout of an earlier one too.
const startOnly = `package main

import (
	"os"
	"strconv"

	"github.com/forklore/forklore/mp"
)

func noop() {}

func main() {
	mp.Main(noop)
	defer mp.Finish()
	n, _ := strconv.Atoi(os.Args[1])
	for range n {
		p := mp.NewProcess(noop)
		if err := p.Start(); err != nil {
			panic(err)
		}
		p.Join()
	}
}
`

// buildStartOnly builds startOnly in the module at tree, from a directory
// it makes there for the build and removes.
func buildStartOnly(tree, bin string, env []string) error {
	src := filepath.Join(tree, "zz_mpbench_startonly")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(src)
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(startOnly), 0o644); err != nil {
		return err
	}
	return goBuild(tree, "./zz_mpbench_startonly", bin, env)
}

// bucketSamples counts the samples of processes named comm in a perf
// recording, by phase.
func bucketSamples(data, comm string) (map[string]int, error) {
	cmd := exec.Command("perf", "script", "-i", data, "-F", "comm,ip,sym,dso")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var stack []string
	ours := false
	flush := func() {
		if ours && len(stack) > 0 {
			counts[classify(stack)]++
		}
		stack, ours = stack[:0], false
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case !strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, " \t"):
			flush()
			ours = strings.TrimSpace(line) == comm
		default:
			stack = append(stack, line)
		}
	}
	flush()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("perf script: %v", err)
	}
	return counts, sc.Err()
}

func classify(stack []string) string {
	for _, p := range phases {
		for _, frame := range stack {
			for _, pat := range p.patterns {
				if strings.Contains(frame, pat) {
					return p.name
				}
			}
		}
	}
	return phases[len(phases)-1].name
}
