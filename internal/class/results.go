package class

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/report"
)

// FormatName is the "format" of a results file.
const FormatName = "forklore class results"

// Results is a class's grading, whole or one shard: what `grade
// -submissions` writes as results.json (results-K-of-N.json for a shard)
// and `grade merge` reads. Everything the gradebook and the per-student
// reports show is in it, so that merged shards report exactly as an
// unsharded run.
type Results struct {
	Format        string          `json:"format"`
	Version       int             `json:"version"`
	Course        string          `json:"course"` // Fingerprint
	Seed          uint64          `json:"seed"`
	Runs          int             `json:"runs"`
	PartialCredit bool            `json:"partial_credit"`
	Shard         Shard           `json:"shard"`
	Students      []StudentRecord `json:"students"`  // the whole plan
	Exercises     []ExerciseInfo  `json:"exercises"` // the whole plan
	Cells         []CellRecord    `json:"cells"`     // this shard's, in plan order
}

// StudentRecord is a student of the plan, with the notes on their folder.
type StudentRecord struct {
	Name  string   `json:"name"`
	Notes []string `json:"notes"`
}

// ExerciseInfo is an exercise of the plan.
type ExerciseInfo struct {
	Name   string `json:"name"`
	Points int    `json:"points"`
}

// CellRecord is one graded cell.
type CellRecord struct {
	Student  string `json:"student"`
	Exercise string `json:"exercise"`
	Kind     string `json:"kind"` // Graded (""), Missing or Unchanged
	Seed     uint64 `json:"seed"`
	// ElapsedMS is how long the cell took, from the start of its build to
	// its verdict; the gradebook leaves it out.
	ElapsedMS int64          `json:"elapsed_ms"`
	Error     string         `json:"error,omitempty"` // grading could not judge it
	Verdict   *VerdictRecord `json:"verdict,omitempty"`
}

// VerdictRecord is an engine.Verdict without its target, which the
// exercise's name gives back, and without the failing run's record,
// which only the timeline draws.
type VerdictRecord struct {
	Status    engine.Status        `json:"status"`
	Checks    []engine.Check       `json:"checks"`
	Compile   *engine.CompileError `json:"compile,omitempty"`
	Seed      uint64               `json:"seed"`
	Runs      int                  `json:"runs"`
	Pauses    []engine.Pause       `json:"pauses,omitempty"`
	Reproduce string               `json:"reproduce"`
	Notes     []string             `json:"notes,omitempty"`
}

func recordVerdict(v *engine.Verdict) *VerdictRecord {
	if v == nil {
		return nil
	}
	return &VerdictRecord{Status: v.Status, Checks: v.Checks, Compile: v.Compile, Seed: v.Seed, Runs: v.Runs,
		Pauses: v.Pauses, Reproduce: v.Reproduce, Notes: v.Notes}
}

// Plan returns the results' plan.
func (r *Results) Plan() Plan {
	var p Plan
	for _, s := range r.Students {
		p.Students = append(p.Students, s.Name)
	}
	for _, e := range r.Exercises {
		p.Exercises = append(p.Exercises, e.Name)
	}
	return p
}

// Result returns a cell as the report package takes it. An exercise the
// course no longer has is an error result.
func (cr *CellRecord) Result(c *course.Course) report.Result {
	e := c.Lookup(cr.Exercise)
	if e == nil {
		e = &course.Exercise{Name: cr.Exercise, Dir: "exercises/" + cr.Exercise}
		return report.Result{Target: course.Target{Exercise: e}, Err: fmt.Errorf("the course has no exercise %s", cr.Exercise)}
	}
	t := course.Target{Exercise: e}
	if cr.Error != "" {
		return report.Result{Target: t, Err: errors.New(cr.Error)}
	}
	elapsed := time.Duration(cr.ElapsedMS) * time.Millisecond
	switch cr.Kind {
	case Missing, Unchanged:
		return report.Result{Target: t, Verdict: placeholder(e, cr.Kind, cr.Seed, elapsed)}
	}
	if cr.Verdict == nil {
		return report.Result{Target: t, Err: errors.New("the results file has no verdict for this cell")}
	}
	v := cr.Verdict
	return report.Result{Target: t, Verdict: &engine.Verdict{Target: t, Status: v.Status, Checks: v.Checks,
		Compile: v.Compile, Seed: v.Seed, Runs: v.Runs, Pauses: v.Pauses, Reproduce: v.Reproduce, Notes: v.Notes, Elapsed: elapsed}}
}

// placeholder is the verdict on an exercise that was not run: the class's
// own rule that a submission holds the exercise, changed from its stub.
func placeholder(e *course.Exercise, kind string, seed uint64, elapsed time.Duration) *engine.Verdict {
	ch := engine.Check{Command: "submit", Status: engine.Fail, Cause: true, Weight: 1}
	if kind == Missing {
		ch.Rule = "the submission holds the exercise"
		ch.Why = "missing: no .go file in " + e.Dir + "/"
	} else {
		ch.Rule = "the exercise is attempted"
		ch.Why = "unchanged: " + e.Stub() + " is the stub as handed out, which fails its rules"
	}
	return &engine.Verdict{Target: course.Target{Exercise: e}, Status: engine.Fail, Checks: []engine.Check{ch}, Seed: seed, Elapsed: elapsed}
}

// Write writes the results as indented JSON.
func (r *Results) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}

// ReadResults reads a results file; name is for errors.
func ReadResults(name string) (*Results, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("class: %w", err)
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil || r.Format != FormatName {
		return nil, fmt.Errorf("class: %s is not a results file of grade -submissions (%v)", name, errOr(err, "no \"format\": \""+FormatName+"\""))
	}
	if r.Version != 1 {
		return nil, fmt.Errorf("class: %s is results version %d; this grade reads version 1", name, r.Version)
	}
	return &r, nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// MergeError is a set of shard files that is not one grading split into
// shards, with every problem found.
type MergeError struct{ Problems []string }

func (e *MergeError) Error() string { return "class: cannot merge: " + strings.Join(e.Problems, "; ") }

// Merge joins shard results, each named by its file, into the results of
// the whole class. The shards must be one grading: the same course, seed,
// runs, scoring and plan, each of shards 1..N exactly once, and each
// holding exactly its own cells. A *MergeError names every missing or
// duplicated shard and every mismatch.
func Merge(names []string, rs []*Results) (*Results, error) {
	if len(rs) == 0 {
		return nil, &MergeError{[]string{"no results files given"}}
	}
	first := rs[0]
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	n := first.Shard.N
	if n < 1 {
		n = 1
	}
	seen := make([]string, n+1)
	for i, r := range rs {
		name := names[i]
		switch {
		case r.Course != first.Course:
			add("%s was graded with other rules (course %s) than %s (course %s)", name, r.Course, names[0], first.Course)
		case r.Seed != first.Seed || r.Runs != first.Runs || r.PartialCredit != first.PartialCredit:
			add("%s was graded with -seed %d -n %d partial credit %v, %s with -seed %d -n %d partial credit %v; give every shard the same flags",
				name, r.Seed, r.Runs, r.PartialCredit, names[0], first.Seed, first.Runs, first.PartialCredit)
		case !slices.EqualFunc(r.Students, first.Students, sameStudent) || !slices.Equal(r.Exercises, first.Exercises):
			add("%s graded another class (other students, exercises or submissions) than %s; every shard must see the same -submissions folder and exercises", name, names[0])
		case max(r.Shard.N, 1) != n:
			add("%s is %s, %s is %s: the shard counts differ", name, r.Shard, names[0], first.Shard)
		case seen[max(r.Shard.K, 1)] != "":
			add("shard %d/%d is given twice: %s and %s", max(r.Shard.K, 1), n, seen[max(r.Shard.K, 1)], name)
		default:
			seen[max(r.Shard.K, 1)] = name
		}
	}
	if len(problems) == 0 {
		for k := 1; k <= n; k++ {
			if seen[k] == "" {
				add("shard %d/%d is missing: no file given holds it", k, n)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &MergeError{problems}
	}
	out := *first
	out.Shard = Shard{}
	out.Cells = nil
	cells := first.Plan().Cells()
	index := map[Cell]int{}
	for i, c := range cells {
		index[c] = i
	}
	held := make([]*CellRecord, len(cells))
	for j, r := range rs {
		sh := Shard{K: max(r.Shard.K, 1), N: n}
		for k := range r.Cells {
			cr := &r.Cells[k]
			cell := Cell{cr.Student, cr.Exercise}
			i, ok := index[cell]
			switch {
			case !ok:
				add("%s holds %s's %s, which is not in the class's plan", names[j], cell.Student, cell.Exercise)
			case !sh.Has(i):
				add("%s holds %s's %s, which belongs to shard %d/%d", names[j], cell.Student, cell.Exercise, i%n+1, n)
			case held[i] != nil:
				add("%s holds %s's %s twice", names[j], cell.Student, cell.Exercise)
			default:
				held[i] = cr
			}
		}
	}
	for i, cr := range held {
		if cr == nil {
			add("%s lacks %s's %s, which belongs to it", seen[i%n+1], cells[i].Student, cells[i].Exercise)
			continue
		}
		out.Cells = append(out.Cells, *cr)
	}
	if len(problems) > 0 {
		return nil, &MergeError{problems}
	}
	return &out, nil
}

func sameStudent(a, b StudentRecord) bool {
	return a.Name == b.Name && slices.Equal(a.Notes, b.Notes)
}
