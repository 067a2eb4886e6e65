package class

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"golang.org/x/sync/errgroup"
)

// Params configures grading a class. The zero value grades the whole
// class, one cell per CPU at once, with the engine's defaults.
type Params struct {
	// Engine is passed to every cell's grading, but for Seed, which is
	// the class's base seed (each cell's own derives from it, see
	// CellSeed; zero means random), and Source, which is the submission's.
	Engine engine.Params
	// PartialCredit is recorded for the gradebook (see report.Scoring).
	PartialCredit bool
	// Shard, if not the zero value, grades only that shard's cells.
	Shard Shard
	// Jobs is how many cells are graded at once. Zero means one per CPU.
	Jobs int
	// Reproduce, if not nil, returns how a teacher names a student's
	// folder on the command line, for the reproduce commands. Nil means
	// its absolute path.
	Reproduce func(s *Submission) string
	// Done, if not nil, is called once a student's cells in this shard
	// are all graded, with them in plan order; calls do not overlap.
	Done func(student string, cells []CellRecord)
}

// Grade grades every cell of the shard: every exercise of every
// submission, against the course's rules. A failed program, a compile
// error, a missing exercise or an empty folder is a cell's verdict,
// never an error; an error means the class could not be graded at all
// (a cancelled ctx). A cell that grading could not judge (a broken rules
// file) is recorded with its error, and the others go on.
func Grade(ctx context.Context, c *course.Course, subs []Submission, exercises []*course.Exercise, p Params) (*Results, error) {
	if p.Jobs == 0 {
		p.Jobs = runtime.NumCPU()
	}
	for p.Engine.Seed == 0 {
		p.Engine.Seed = rand.Uint64()
	}
	if p.Engine.Runs == 0 {
		p.Engine.Runs = 20
	}
	r := &Results{Format: FormatName, Version: 1, Course: Fingerprint(c, exercises), Seed: p.Engine.Seed,
		Runs: p.Engine.Runs, PartialCredit: p.PartialCredit, Shard: p.Shard}
	if r.Shard.Whole() {
		r.Shard = Shard{}
	}
	bySub := map[string]*Submission{}
	for i := range subs {
		s := &subs[i]
		r.Students = append(r.Students, StudentRecord{Name: s.Student, Notes: append([]string{}, s.Notes...)})
		bySub[s.Student] = s
	}
	byEx := map[string]*course.Exercise{}
	for _, e := range exercises {
		r.Exercises = append(r.Exercises, ExerciseInfo{Name: e.Name, Points: e.Points()})
		byEx[e.Name] = e
	}
	var mine []Cell
	left := map[string]int{}
	for i, cell := range r.Plan().Cells() {
		if p.Shard.Has(i) {
			mine = append(mine, cell)
			left[cell.Student]++
		}
	}
	rules := Prepare(c, exercises)
	records := make([]CellRecord, len(mine))
	var mu sync.Mutex
	var eg errgroup.Group
	eg.SetLimit(p.Jobs)
	for i, cell := range mine {
		eg.Go(func() error {
			if ctx.Err() != nil {
				return nil
			}
			records[i] = GradeCell(ctx, c, rules, bySub[cell.Student], byEx[cell.Exercise], CellSeed(r.Seed, cell), p)
			if ctx.Err() != nil {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if left[cell.Student]--; left[cell.Student] == 0 && p.Done != nil {
				var done []CellRecord
				for j := range mine {
					if mine[j].Student == cell.Student {
						done = append(done, records[j])
					}
				}
				p.Done(cell.Student, done)
			}
			return nil
		})
	}
	eg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Cells = records
	return r, nil
}

// Rules are exercises' rules, read and checked (engine.Prepare), or why
// they could not be.
type Rules map[string]struct {
	Prepared *engine.Prepared
	Err      error
}

// Prepare reads the rules of every exercise before any program runs, so
// that a student's program, which runs as the grader's user, cannot
// change the rules of a cell graded after it.
func Prepare(c *course.Course, exercises []*course.Exercise) Rules {
	rules := Rules{}
	for _, e := range exercises {
		pr, err := engine.Prepare(c, course.Target{Exercise: e})
		rules[e.Name] = struct {
			Prepared *engine.Prepared
			Err      error
		}{pr, err}
	}
	return rules
}

// GradeCell grades exercise e of submission s by rules (from Prepare)
// with the base seed seed, which Grade derives for each cell (CellSeed)
// and `grade -submission -seed S` takes as given, so that a reproduce
// command replays the run; p.Shard, p.Jobs and p.Done do not apply.
func GradeCell(ctx context.Context, c *course.Course, rules Rules, s *Submission, e *course.Exercise, seed uint64, p Params) (cr CellRecord) {
	cr = CellRecord{Student: s.Student, Exercise: e.Name, Seed: seed}
	start := time.Now()
	defer func() { cr.ElapsedMS = time.Since(start).Milliseconds() }()
	kind, source := s.Cell(c, e)
	cr.Kind = kind
	if kind != Graded {
		return cr
	}
	ep := p.Engine
	ep.Seed, ep.Source = cr.Seed, source
	pr, ok := rules[e.Name]
	if !ok {
		pr.Err = fmt.Errorf("the rules of %s were not read before grading", e.Name)
	}
	if pr.Err != nil {
		cr.Error = pr.Err.Error()
		return cr
	}
	v, err := pr.Prepared.Grade(ctx, ep)
	if err != nil {
		cr.Error = err.Error()
		return cr
	}
	if ce := v.Compile; ce != nil {
		// The compiler names the submission's own file; the teacher and
		// the student know it as the exercise's, wherever the folder is.
		ce.Output = strings.ReplaceAll(ce.Output, source+string(filepath.Separator), e.Dir+"/")
		ce.File = strings.Replace(ce.File, source+string(filepath.Separator), e.Dir+"/", 1)
		for i := range v.Checks {
			v.Checks[i].Why = strings.ReplaceAll(v.Checks[i].Why, source+string(filepath.Separator), e.Dir+"/")
			v.Checks[i].Pos.File = ce.File
		}
	}
	// The engine's command grades the course's own exercise; the
	// teacher's grades this student's.
	dir := s.Dir
	if p.Reproduce != nil {
		dir = p.Reproduce(s)
	}
	sub := "go run ./cmd/grade -submission " + shellWord(dir) + " "
	switch {
	case v.Compile != nil:
		v.Reproduce = sub + course.Target{Exercise: e}.Arg()
	case v.Reproduce != "":
		v.Reproduce = strings.Replace(v.Reproduce, "go run ./cmd/grade ", sub, 1)
	}
	cr.Verdict = recordVerdict(v)
	return cr
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
