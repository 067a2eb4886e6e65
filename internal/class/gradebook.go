package class

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/report"
)

// Gradebook is a class's grades: a row per student, a grade per
// exercise. It holds no timing, so that two gradings that judged alike,
// sharded or not, write the same bytes.
type Gradebook struct {
	Seed          uint64         `json:"seed"`
	Runs          int            `json:"runs"`
	PartialCredit bool           `json:"partial_credit"`
	MaxScore      float64        `json:"max_score"`
	Exercises     []ExerciseInfo `json:"exercises"`
	Students      []Row          `json:"students"`
}

// Row is one student's grades.
type Row struct {
	Student   string   `json:"student"`
	Score     float64  `json:"score"`
	MaxScore  float64  `json:"max_score"`
	Notes     []string `json:"notes"`
	Exercises []Mark   `json:"exercises"`
}

// Mark is one student's grade on one exercise.
type Mark struct {
	Exercise string `json:"exercise"`
	// Status is pass, fail, timeout, error (grading could not judge it),
	// missing or unchanged (the stub).
	Status   string  `json:"status"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	// Reason says why it did not pass in one line that does not change
	// from one grading to the next: the rule broken, the first compile
	// error, what is missing. Empty on a pass.
	Reason string `json:"reason"`
}

// Reports returns the report package's results for every student of
// whole results, in plan order, each student's exercises in order.
func (r *Results) Reports(c *course.Course) map[string][]report.Result {
	out := map[string][]report.Result{}
	for i := range r.Cells {
		cr := &r.Cells[i]
		out[cr.Student] = append(out[cr.Student], cr.Result(c))
	}
	return out
}

// Book returns the gradebook of whole (unsharded or merged) results.
func (r *Results) Book(c *course.Course) (*Gradebook, error) {
	if !r.Shard.Whole() {
		return nil, fmt.Errorf("class: %s is not the whole class; merge the shards with grade merge first", r.Shard)
	}
	scoring := report.Scoring{Partial: r.PartialCredit}
	g := &Gradebook{Seed: r.Seed, Runs: r.Runs, PartialCredit: r.PartialCredit, Exercises: r.Exercises, Students: []Row{}}
	for _, e := range r.Exercises {
		g.MaxScore += float64(e.Points)
	}
	reports := r.Reports(c)
	kinds := map[Cell]string{}
	for _, cr := range r.Cells {
		kinds[Cell{cr.Student, cr.Exercise}] = cr.Kind
	}
	for _, s := range r.Students {
		row := Row{Student: s.Name, Notes: append([]string{}, s.Notes...), Exercises: []Mark{}}
		rs := reports[s.Name]
		if len(rs) != len(r.Exercises) {
			return nil, fmt.Errorf("class: the results hold %d of %s's %d exercises", len(rs), s.Name, len(r.Exercises))
		}
		for i := range rs {
			res := &rs[i]
			gr := Mark{Exercise: res.Target.Name, Status: string(res.Status())}
			gr.Score, gr.MaxScore = scoring.Score(res)
			if k := kinds[Cell{s.Name, res.Target.Name}]; k != Graded {
				gr.Status = k
			}
			gr.Reason = reason(res)
			row.Exercises = append(row.Exercises, gr)
		}
		row.Score, row.MaxScore = scoring.Total(rs)
		g.Students = append(g.Students, row)
	}
	return g, nil
}

// reason says in one stable line why a result did not pass.
func reason(r *report.Result) string {
	if r.Err != nil {
		return "could not grade: " + firstLine(r.Err.Error())
	}
	v := r.Verdict
	if v.Passed() {
		return ""
	}
	if v.Compile != nil {
		return "does not compile: " + firstLine(v.Compile.Output)
	}
	h := v.Headline()
	switch {
	case h.Command == "submit":
		return h.Why
	case h.Status == engine.Timeout:
		return "times out: " + report.Clean(h.Rule)
	}
	return "fails: " + report.Clean(h.Rule)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return report.Clean(s)
}

// WriteJSON writes the gradebook as indented JSON.
func (g *Gradebook) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(g)
}

// WriteCSV writes the gradebook as CSV: student, a score per exercise,
// score, max_score, then the reasons of the exercises that did not pass
// and the notes, each joined by "; ". A field that a spreadsheet would
// take for a formula (it starts with = + - @) is written after a '.
func (g *Gradebook) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"student"}
	for _, e := range g.Exercises {
		head = append(head, e.Name)
	}
	cw.Write(append(head, "score", "max_score", "reasons", "notes"))
	for _, row := range g.Students {
		rec := []string{safeField(row.Student)}
		var reasons []string
		for _, gr := range row.Exercises {
			rec = append(rec, number(gr.Score))
			if gr.Reason != "" {
				reasons = append(reasons, gr.Exercise+": "+gr.Reason)
			}
		}
		rec = append(rec, number(row.Score), number(row.MaxScore),
			safeField(strings.Join(reasons, "; ")), safeField(strings.Join(row.Notes, "; ")))
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func safeField(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Files are what WriteFiles wrote, relative to its folder.
const (
	ResultsFile  = "results.json"
	BookCSV      = "gradebook.csv"
	BookJSON     = "gradebook.json"
	StudentsDir  = "students"
	shardPattern = "results-%d-of-%d.json"
)

// ShardFile returns the name of shard sh's results file.
func ShardFile(sh Shard) string {
	if sh.Whole() {
		return ResultsFile
	}
	return fmt.Sprintf(shardPattern, sh.K, sh.N)
}

// WriteFiles writes the results into dir: a shard's results file alone,
// or, for the whole class, results.json, the gradebook as CSV and JSON
// and, per student, students/NAME.json (as grade -json) and
// students/NAME.xml (JUnit). It returns the gradebook, nil for a shard.
func (r *Results) WriteFiles(dir string, c *course.Course) (*Gradebook, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("class: %w", err)
	}
	if err := writeFile(filepath.Join(dir, ShardFile(r.Shard)), r.Write); err != nil {
		return nil, err
	}
	if !r.Shard.Whole() {
		return nil, nil
	}
	g, err := r.Book(c)
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, BookCSV), g.WriteCSV); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, BookJSON), g.WriteJSON); err != nil {
		return nil, err
	}
	scoring := report.Scoring{Partial: r.PartialCredit}
	reports := r.Reports(c)
	for _, s := range r.Students {
		rs := reports[s.Name]
		base := filepath.Join(dir, StudentsDir, s.Name)
		if err := os.MkdirAll(filepath.Dir(base), 0o777); err != nil {
			return nil, fmt.Errorf("class: %w", err)
		}
		if err := writeFile(base+".json", func(w io.Writer) error { return report.JSON(w, rs, r.Seed, r.Runs, scoring) }); err != nil {
			return nil, err
		}
		if err := writeFile(base+".xml", func(w io.Writer) error { return report.JUnit(w, rs) }); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("class: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("class: writing %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("class: %w", err)
	}
	return nil
}
