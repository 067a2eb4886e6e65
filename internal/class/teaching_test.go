package class_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/forklore/forklore/internal/class"
	"github.com/forklore/forklore/internal/course"
	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v4"
)

// teachingFile reads a file of docs/teaching.
func teachingFile(t *testing.T, name string) (string, []byte) {
	t.Helper()
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "docs", "teaching", name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

// TestWorkflowsPassActionlint lints every workflow teachers copy, as
// actionlint would in their repository.
func TestWorkflowsPassActionlint(t *testing.T) {
	for _, name := range []string{"classroom.yml", "class-shards.yml"} {
		t.Run(name, func(t *testing.T) {
			path, b := teachingFile(t, name)
			l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := l.Lint(path, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("%s:%d:%d: %s [%s]", name, e.Line, e.Column, e.Message, e.Kind)
			}
		})
	}
}

// workflow is the part of a workflow file the checks below read.
type workflow struct {
	Jobs map[string]struct {
		Strategy struct {
			Matrix map[string]any `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	_, b := teachingFile(t, name)
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestClassroomWorkflowFeedsTheReporter checks what actionlint cannot
// know about education/autograding-grading-reporter: it updates the
// check run of the job named run-autograding-tests, and reads each runner
// ID's result from the variable ID_RESULTS (upper case).
func TestClassroomWorkflowFeedsTheReporter(t *testing.T) {
	w := readWorkflow(t, "classroom.yml")
	job, ok := w.Jobs["run-autograding-tests"]
	if !ok {
		t.Fatalf("classroom.yml: no job run-autograding-tests; the reporter finds its check run by that name")
	}
	var grader string
	for _, s := range job.Steps {
		if strings.Contains(s.Run, "cmd/grade") && strings.Contains(s.Run, "-classroom") && strings.Contains(s.Run, "-submission") {
			grader = s.ID
		}
	}
	if grader == "" {
		t.Fatal("classroom.yml: no step with an id runs grade -classroom -submission")
	}
	for _, s := range job.Steps {
		if !strings.HasPrefix(s.Uses, "education/autograding-grading-reporter@") {
			continue
		}
		if s.With["runners"] != grader {
			t.Errorf("reporter runners = %q; want the grade step's id %q", s.With["runners"], grader)
		}
		want := fmt.Sprintf("${{ steps.%s.outputs.result }}", grader)
		if got := s.Env[strings.ToUpper(grader)+"_RESULTS"]; got != want {
			t.Errorf("reporter env %s_RESULTS = %q; want %q", strings.ToUpper(grader), got, want)
		}
		return
	}
	t.Error("classroom.yml: no education/autograding-grading-reporter step")
}

// TestMatrixShardsCoverTheClass checks that the matrix lists shards 1..N,
// which each job names as matrix.shard/strategy.job-total.
func TestMatrixShardsCoverTheClass(t *testing.T) {
	w := readWorkflow(t, "class-shards.yml")
	shards, _ := w.Jobs["grade"].Strategy.Matrix["shard"].([]any)
	if len(shards) < 2 {
		t.Fatalf("class-shards.yml: matrix.shard = %v; want 1..N", shards)
	}
	for i, s := range shards {
		if s != i+1 {
			t.Errorf("class-shards.yml: matrix.shard[%d] = %v; want %d (shard K of strategy.job-total)", i, s, i+1)
		}
	}
}

// TestIndexedJobMapsIndexToShard runs the Kubernetes Job's command for
// every completion index, with grade replaced by a recorder: together the
// pods must grade shards 1..N of N exactly once, N being completions.
func TestIndexedJobMapsIndexToShard(t *testing.T) {
	_, b := teachingFile(t, "class-job.yaml")
	var job struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Parallelism    int    `yaml:"parallelism"`
			Template       struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Command []string `yaml:"command"`
						Args    []string `yaml:"args"`
						Env     []struct{ Name, Value string }
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	s := job.Spec
	if s.CompletionMode != "Indexed" || s.Completions < 2 || s.Template.Spec.RestartPolicy != "Never" || len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("class-job.yaml: completionMode %q, completions %d, restartPolicy %q, %d containers; want an Indexed Job of 2 or more completions, restartPolicy Never, one container",
			s.CompletionMode, s.Completions, s.Template.Spec.RestartPolicy, len(s.Template.Spec.Containers))
	}
	ctr := s.Template.Spec.Containers[0]
	if !slices.Equal(ctr.Command, []string{"sh", "-c"}) || len(ctr.Args) != 1 {
		t.Fatalf("class-job.yaml: command %q args %q; want sh -c SCRIPT", ctr.Command, ctr.Args)
	}
	script := strings.Replace(ctr.Args[0], "exec grade", "record", 1)
	if script == ctr.Args[0] {
		t.Fatalf("class-job.yaml: the script %q does not exec grade", ctr.Args[0])
	}
	got := map[class.Shard]int{}
	for i := range s.Completions {
		cmd := exec.Command("sh", "-c", `record() { while [ $# -gt 0 ]; do [ "$1" = -shard ] && echo "$2"; shift; done; }; `+script)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i)}
		for _, e := range ctr.Env {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		sh, err := class.ParseShard(strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		if sh.N != s.Completions {
			t.Errorf("index %d grades %d/%d; want shards of %d, the completions", i, sh.K, sh.N, s.Completions)
		}
		got[sh]++
	}
	for k := 1; k <= s.Completions; k++ {
		if n := got[class.Shard{K: k, N: s.Completions}]; n != 1 {
			t.Errorf("shard %d/%d is graded by %d pods; want 1", k, s.Completions, n)
		}
	}
}
