package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/forklore/forklore/internal/engine"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"grade": func() { engine.RunShim(); os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/scripts/cli_*.txtar. Set UPDATE_SCRIPTS=1 to
// rewrite their golden files from the actual output.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/scripts/cli_*.txtar")
	if len(files) == 0 {
		t.Fatal("no testdata/scripts/cli_*.txtar found")
	}
	goenv := map[string]string{}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env = %v", err)
	}
	for i, v := range strings.Fields(string(out)) {
		goenv[[]string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOROOT"}[i]] = v
	}
	testscript.Run(t, testscript.Params{
		Files:               files,
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			for k, v := range goenv {
				env.Setenv(k, v)
			}
			env.Setenv("GOFLAGS", "-mod=mod")
			env.Setenv("GOPROXY", "off")
			env.Setenv("GOTOOLCHAIN", "local")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"clock":     cmdClock,
			"gradejson": cmdGradeJSON,
			"noprocs":   cmdNoProcs,
			"lines":     cmdLines,
			"nofiles":   cmdNoFiles,
			"waitfile":  cmdWaitFile,
		},
	})
}

// cmdClock: clock start | clock under DURATION — asserts wall-clock bounds.
func cmdClock(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || (args[0] == "under") != (len(args) == 2) {
		ts.Fatalf("usage: clock start | clock under DURATION")
	}
	if args[0] == "start" {
		ts.Setenv("CLOCK_START", strconv.FormatInt(time.Now().UnixNano(), 10))
		return
	}
	d, err := time.ParseDuration(args[1])
	ts.Check(err)
	start, _ := strconv.ParseInt(ts.Getenv("CLOCK_START"), 10, 64)
	if took := time.Since(time.Unix(0, start)); took >= d {
		ts.Fatalf("took %v; want under %v", took, d)
	}
}

// cmdNoProcs: noprocs FILE — no process whose pid is listed in FILE is alive.
func cmdNoProcs(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: noprocs FILE")
	}
	pids := strings.Fields(ts.ReadFile(args[0]))
	if len(pids) == 0 {
		ts.Fatalf("%s lists no pids; the fixture did not run", args[0])
	}
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(b, ')'); i > 0 && len(b) > i+2 && b[i+2] != 'Z' {
			ts.Fatalf("process %s is still alive: %s", pid, b)
		}
	}
	ts.Logf("%d processes, none alive", len(pids))
}

// cmdNoFiles: nofiles DIR — DIR is empty: grade left nothing behind.
func cmdNoFiles(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: nofiles DIR")
	}
	entries, err := os.ReadDir(ts.MkAbs(args[0]))
	ts.Check(err)
	for _, e := range entries {
		ts.Fatalf("%s is left behind in %s", e.Name(), args[0])
	}
}

// cmdWaitFile: waitfile FILE — waits until FILE exists and is not empty.
// The bound only stops a hung test; it is not a timing assertion.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	for end := time.Now().Add(2 * time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(ts.MkAbs(args[0])); err == nil && st.Size() > 0 {
			return
		}
	}
	ts.Fatalf("%s never appeared", args[0])
}

// cmdLines: lines FILE OP N — the number of lines of FILE compares to N.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: lines FILE OP N")
	}
	n := len(strings.Split(strings.TrimSpace(ts.ReadFile(args[0])), "\n"))
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	ok := map[string]bool{"==": n == want, "<=": n <= want, ">=": n >= want, "<": n < want, ">": n > want}
	if v, known := ok[args[1]]; !known || !v {
		ts.Fatalf("%s has %d lines; want %s %d", args[0], n, args[1], want)
	}
}

// The -json schema as docs/grade-json.md documents it, decoded strictly.
type (
	jsonTop struct {
		Version   *int            `json:"version"`
		Status    *string         `json:"status"`
		Message   *string         `json:"message"`
		Seed      *uint64         `json:"seed"`
		Runs      *int            `json:"runs"`
		Score     *float64        `json:"score"`
		MaxScore  *float64        `json:"max_score"`
		Exercises *[]jsonExercise `json:"exercises"`
	}
	jsonExercise struct {
		Name      *string     `json:"name"`
		Path      *string     `json:"path"`
		Script    *string     `json:"script"`
		Status    *string     `json:"status"`
		Message   *string     `json:"message"`
		Reproduce *string     `json:"reproduce"`
		Timeline  *string     `json:"timeline"`
		Score     *float64    `json:"score"`
		MaxScore  *float64    `json:"max_score"`
		Tests     *[]jsonTest `json:"tests"`
	}
	jsonTest struct {
		Name        *string `json:"name"`
		Command     *string `json:"command"`
		Status      *string `json:"status"`
		Message     *string `json:"message"`
		Output      *string `json:"output"`
		Seed        *uint64 `json:"seed"`
		Run         *int    `json:"run"`
		Line        *int    `json:"line"`
		Cause       *bool   `json:"cause"`
		Consequence *bool   `json:"consequence"`
	}
)

// cmdGradeJSON: gradejson FILE — FILE holds a valid grade -json report.
func cmdGradeJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gradejson FILE")
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	dec.DisallowUnknownFields()
	var top jsonTop
	ts.Check(dec.Decode(&top))
	statuses := []string{"pass", "fail", "error", "timeout", "skip"}
	need := func(where string, ok bool) {
		if !ok {
			ts.Fatalf("-json: %s is missing or wrong", where)
		}
	}
	need("version 3", top.Version != nil && *top.Version == 3)
	need("status", top.Status != nil && slices.Contains(statuses[:3], *top.Status))
	need("message, seed, runs", top.Message != nil && top.Seed != nil && top.Runs != nil)
	need("score and max_score", top.Score != nil && top.MaxScore != nil && *top.Score <= *top.MaxScore)
	need("exercises", top.Exercises != nil)
	for i, e := range *top.Exercises {
		need(fmt.Sprintf("exercises[%d] fields", i), e.Name != nil && e.Path != nil && e.Script != nil &&
			e.Message != nil && e.Reproduce != nil && e.Timeline != nil && e.Tests != nil && e.Status != nil && slices.Contains(statuses, *e.Status) &&
			e.Score != nil && e.MaxScore != nil && *e.Score <= *e.MaxScore)
		for j, c := range *e.Tests {
			need(fmt.Sprintf("exercises[%d].tests[%d] fields", i, j), c.Name != nil && *c.Name != "" && c.Command != nil &&
				c.Message != nil && c.Output != nil && c.Seed != nil && c.Run != nil && c.Line != nil && c.Cause != nil && c.Consequence != nil &&
				c.Status != nil && slices.Contains(statuses, *c.Status))
		}
	}
}
