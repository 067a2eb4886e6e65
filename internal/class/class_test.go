package class_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forklore/forklore/internal/class"
	"github.com/forklore/forklore/internal/course"
)

func loadCourse(t *testing.T) *course.Course {
	t.Helper()
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := course.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestShardsPartitionTheCells(t *testing.T) {
	p := class.Plan{Students: []string{"a", "b", "c"}, Exercises: []string{"01-x", "02-y", "03-z"}}
	cells := p.Cells()
	for n := 1; n <= 10; n++ {
		owners := make([]int, len(cells))
		for k := 1; k <= n; k++ {
			sh, err := class.ParseShard(strings.Join([]string{itoa(k), itoa(n)}, "/"))
			if err != nil {
				t.Fatal(err)
			}
			for i := range cells {
				if sh.Has(i) {
					owners[i]++
				}
			}
		}
		for i, o := range owners {
			if o != 1 {
				t.Errorf("with %d shards, cell %v is in %d shards; want 1", n, cells[i], o)
			}
		}
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestParseShardRejects(t *testing.T) {
	for _, s := range []string{"", "1", "0/4", "5/4", "a/4", "1/0", "-1/4", "1/4/2"} {
		if _, err := class.ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) = nil error; want one", s)
		}
	}
}

func TestCellSeedIsTheCellsAlone(t *testing.T) {
	a := class.CellSeed(7, class.Cell{"ann", "01-start-target"})
	if a != class.CellSeed(7, class.Cell{"ann", "01-start-target"}) || a == 0 {
		t.Fatalf("CellSeed is not a pure nonzero function of its arguments")
	}
	for _, other := range []uint64{class.CellSeed(8, class.Cell{"ann", "01-start-target"}),
		class.CellSeed(7, class.Cell{"bob", "01-start-target"}), class.CellSeed(7, class.Cell{"ann", "02-start-runner"})} {
		if other == a {
			t.Errorf("CellSeed gives two cells or two base seeds the same seed %d", a)
		}
	}
}

// shards returns results of a class of 3 students × 2 exercises, split
// into n shards, as Grade would record them.
func shards(n int) ([]string, []*class.Results) {
	base := class.Results{Format: class.FormatName, Version: 1, Course: "abc", Seed: 1, Runs: 20,
		Students:  []class.StudentRecord{{Name: "a"}, {Name: "b"}, {Name: "c"}},
		Exercises: []class.ExerciseInfo{{Name: "01-x", Points: 1}, {Name: "02-y", Points: 2}}}
	var names []string
	var rs []*class.Results
	for k := 1; k <= n; k++ {
		r := base
		r.Shard = class.Shard{K: k, N: n}
		r.Cells = nil
		for i, c := range base.Plan().Cells() {
			if r.Shard.Has(i) {
				r.Cells = append(r.Cells, class.CellRecord{Student: c.Student, Exercise: c.Exercise, Kind: class.Missing})
			}
		}
		names = append(names, "results-"+itoa(k)+".json")
		rs = append(rs, &r)
	}
	return names, rs
}

func TestMerge(t *testing.T) {
	names, rs := shards(4)
	m, err := class.Merge(names, rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cells) != 6 || !m.Shard.Whole() {
		t.Fatalf("Merge = %d cells, %v; want 6 cells, the whole class", len(m.Cells), m.Shard)
	}
	for i, c := range m.Plan().Cells() {
		if m.Cells[i].Student != c.Student || m.Cells[i].Exercise != c.Exercise {
			t.Errorf("merged cell %d = %s %s; want %v, in plan order", i, m.Cells[i].Student, m.Cells[i].Exercise, c)
		}
	}
}

func TestMergeNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name   string
		change func(names []string, rs []*class.Results) ([]string, []*class.Results)
		want   string
	}{
		{"missing", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			return append(n[:2:2], n[3]), append(rs[:2:2], rs[3])
		}, "shard 3/4 is missing"},
		{"duplicated", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			return append(n, "again.json"), append(rs, rs[1])
		}, "shard 2/4 is given twice: results-02.json and again.json"},
		{"seed", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			r := *rs[2]
			r.Seed = 2
			rs[2] = &r
			return n, rs
		}, "results-03.json was graded with -seed 2"},
		{"rules", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			r := *rs[1]
			r.Course = "def"
			rs[1] = &r
			return n, rs
		}, "results-02.json was graded with other rules"},
		{"class", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			r := *rs[1]
			r.Students = r.Students[:2]
			rs[1] = &r
			return n, rs
		}, "results-02.json graded another class"},
		{"count", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			_, three := shards(3)
			return append(n[:3:3], "other.json"), append(rs[:3:3], three[0])
		}, "other.json is shard 1/3, results-01.json is shard 1/4"},
		{"lost cell", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			r := *rs[0]
			r.Cells = r.Cells[1:]
			rs[0] = &r
			return n, rs
		}, "results-01.json lacks a's 01-x"},
		{"foreign cell", func(n []string, rs []*class.Results) ([]string, []*class.Results) {
			r := *rs[0]
			r.Cells = append(r.Cells[:len(r.Cells):len(r.Cells)], rs[1].Cells[0])
			rs[0] = &r
			return n, rs
		}, "results-01.json holds a's 02-y, which belongs to shard 2/4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, rs := tt.change(shards(4))
			_, err := class.Merge(names, rs)
			var me *class.MergeError
			if !errors.As(err, &me) {
				t.Fatalf("Merge = %v; want a *MergeError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge = %v; want it to say %q", err, tt.want)
			}
		})
	}
}

// TestSurvey writes one submission of each layout and checks where
// Survey finds the exercises, how each cell is held, and its notes.
func TestSurvey(t *testing.T) {
	c := loadCourse(t)
	e := c.Exercises[0]
	stub, _ := c.ReadFile(e.Stub())
	sol, _ := c.ReadFile(e.Solution() + "/main.go")
	rules, _ := c.ReadFile(e.Rules)
	dir := t.TempDir()
	write := func(rel string, b []byte) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o777)
		if err := os.WriteFile(p, b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	write("checkout/go.mod", []byte("module x\n"))
	write("checkout/exercises/"+e.Name+"/main.go", sol)
	write("checkout/"+e.Rules, append(rules, "\n# changed\n"...))
	write("checkout/"+e.Material+"/exercise.json", []byte("{}"))
	write("bare/"+e.Name+"/main.go", stub)
	write("zip/forklore-main/exercises/"+e.Name+"/main.go", sol)
	write("zip/forklore-main/"+e.Rules, rules) // the same as the grader's: no note
	write("zip/__MACOSX/._forklore-main", nil)
	write("other/notes.txt", []byte("hello"))
	os.MkdirAll(filepath.Join(dir, "empty"), 0o777)
	write("a-file.txt", nil)
	subs, skipped, err := class.Find(c, dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(skipped, ",") != "a-file.txt" {
		t.Errorf("Find skipped %q; want [a-file.txt]", skipped)
	}
	want := map[string]struct {
		kind  string
		notes []string
	}{
		"bare":     {class.Unchanged, nil},
		"checkout": {class.Graded, []string{"ignored " + e.Material + "/exercise.json, " + e.Rules + " (it differs from the grader's copy): the grader's rules decide", "ignored go.mod"}},
		"empty":    {class.Missing, []string{"the folder is empty"}},
		"other":    {class.Missing, []string{"no exercises/ folder and no exercise folder"}},
		"zip":      {class.Graded, nil},
	}
	if len(subs) != len(want) {
		t.Fatalf("Find = %d submissions; want %d", len(subs), len(want))
	}
	for _, s := range subs {
		w := want[s.Student]
		if kind, _ := s.Cell(c, e); kind != w.kind {
			t.Errorf("%s: Cell(%s) = %q; want %q", s.Student, e.Name, kind, w.kind)
		}
		if kind, _ := s.Cell(c, c.Exercises[1]); kind != class.Missing {
			t.Errorf("%s: Cell(%s) = %q; want missing", s.Student, c.Exercises[1].Name, kind)
		}
		all := strings.Join(s.Notes, "\n")
		for _, n := range w.notes {
			if !strings.Contains(all, n) {
				t.Errorf("%s: notes =\n%s\nwant one saying %q", s.Student, all, n)
			}
		}
		if len(w.notes) == 0 && len(s.Notes) > 0 && s.Student != "zip" {
			t.Errorf("%s: notes = %q; want none", s.Student, s.Notes)
		}
		if s.Student == "zip" && strings.Contains(all, "ignored") {
			t.Errorf("zip: notes = %q; a rules file equal to the grader's is not ignored", s.Notes)
		}
	}
}

func TestGradebookCSVQuotesFormulas(t *testing.T) {
	g := &class.Gradebook{Exercises: []class.ExerciseInfo{{Name: "01-x", Points: 1}},
		Students: []class.Row{{Student: "=HYPERLINK(\"x\")", MaxScore: 1, Exercises: []class.Mark{{Exercise: "01-x", Status: "fail", MaxScore: 1, Reason: "fails: a, b"}}}}}
	var b bytes.Buffer
	if err := g.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "student,01-x,score,max_score,reasons,notes\n\"'=HYPERLINK(\"\"x\"\")\",0,0,1,\"01-x: fails: a, b\",\n"
	if b.String() != want {
		t.Errorf("WriteCSV =\n%s\nwant\n%s", b.String(), want)
	}
}
