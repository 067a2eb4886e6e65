package grade

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const usageText = `usage: grade [flags] [packages]

Grade builds each exercise, runs it many times with a perturbed schedule,
and checks the rules of testdata/scripts/NAME.txtar in every run.
Packages default to ./exercises/... (./testdata/solutions/... with -solutions).

Flags:
`

// Main is the grade command: it parses args, grades and prints, and
// returns the exit code: 0 all pass, 1 some fail, 2 bad usage or input.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg       Config
		cmd       = fs.String("cmd", "", "run this command instead of building the exercise (quoted words allowed)")
		asJSON    = fs.Bool("json", false, "print results as JSON (see docs/grade-json.md)")
		junit     = fs.String("junit", "", "also write results as JUnit XML to `file`")
		solutions = fs.Bool("solutions", false, "grade testdata/solutions instead of exercises")
		seed      = fs.Uint64("seed", 0, "base seed; run 1 uses it as MP_PERTURB (0: random)")
	)
	fs.IntVar(&cfg.Runs, "n", 20, "runs per run command")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "wall-clock limit per run")
	fs.BoolVar(&cfg.Verbose, "v", false, "show every check and the script log")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if cfg.Runs < 1 || cfg.Timeout <= 0 {
		fmt.Fprintln(stderr, "grade: -n must be at least 1 and -timeout positive; see grade -h")
		return 2
	}
	cfg.Seed = *seed
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "grade: %v\n", err)
		return 2
	}
	if *cmd != "" {
		if cfg.Cmd, err = splitCommand(*cmd); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		for i, w := range cfg.Cmd {
			// Runs start in their own work directory: keep files named
			// relative to here reachable.
			if _, err := os.Stat(w); err == nil && !filepath.IsAbs(w) && (i > 0 || strings.Contains(w, "/")) {
				cfg.Cmd[i], _ = filepath.Abs(w)
			}
		}
	}
	if cfg.Root, err = FindRoot(cwd); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{filepath.Join(cfg.Root, "exercises") + "/..."}
		if *solutions {
			patterns = []string{filepath.Join(cfg.Root, "testdata/solutions") + "/..."}
		}
	} else if *solutions {
		for i, p := range patterns {
			patterns[i] = strings.Replace(p, "exercises", "testdata/solutions", 1)
		}
	}
	exs, err := Find(cfg.Root, cwd, patterns)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if len(exs) == 0 {
		fmt.Fprintf(stderr, "grade: no exercises match %s\n", strings.Join(patterns, " "))
		return 0
	}
	cfg = cfg.withDefaults()
	out := newPrinter(stdout, !*asJSON)
	var results []Result
	for _, ex := range exs {
		r, err := Grade(cfg, ex)
		if err != nil {
			r.Status = Error
			r.Checks = append(r.Checks, CheckResult{Name: "grading", Status: Error, Message: err.Error()})
		}
		results = append(results, r)
		out.line(r, cfg.Verbose)
	}
	code := exitCode(results)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(jsonReport(results, cfg))
	} else {
		out.explain(results)
	}
	if os.Getenv("GITHUB_ACTIONS") == "true" {
		annotate(stdout, results)
	}
	if *junit != "" {
		if err := writeJUnit(*junit, results); err != nil {
			fmt.Fprintf(stderr, "grade: cannot write -junit file: %v\n", err)
			return 2
		}
	}
	return code
}

func exitCode(rs []Result) int {
	code := 0
	for _, r := range rs {
		switch r.Status {
		case Error:
			return 2
		case Fail, Timeout:
			code = 1
		}
	}
	return code
}
