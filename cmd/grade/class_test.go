package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/forklore/forklore/internal/class"
	"github.com/forklore/forklore/internal/course"
)

// The class tests grade two exercises whose rules hold in every run
// (none is a `sometimes` rule), so that a few runs judge them as many
// would, and whose known-wrong programs break a rule in every run.
var classExercises = []string{"03-count-processes", "06-join"}

const classRuns = "2"

// buildGrade builds the grade command for the tests that run it as
// separate processes, as a teacher's shards do.
func buildGrade(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "grade")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runGrade runs bin in the course's root and returns its exit code,
// stdout and stderr.
func runGrade(t *testing.T, bin, root string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("grade %s: %v", strings.Join(args, " "), err)
	}
	return code, stdout.String(), stderr.String()
}

// TestClassGradebook grades a generated class of 30 submissions, checks
// that every row is what its submission deserves, then grades it again
// in 4 shards, each its own process, and checks that the merged gradebook
// is the unsharded one, byte for byte.
// failedRule is the rule a failed cell's reason names. Scores, statuses
// and every other byte of a sharded class's gradebook are the unsharded
// one's; but a wrong program that breaks several rules may show another of
// them first in another grading, when the schedule exposes a different
// one, so the test does not compare which.
var failedRule = regexp.MustCompile(`(fails|times out): [^;"]*`)

// withoutFailedRules returns the gradebook file with each failed rule
// replaced by the same words; a CSV file is parsed, since the quoting of a
// field depends on the rule's text.
func withoutFailedRules(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	if !strings.HasSuffix(name, ".csv") {
		return failedRule.ReplaceAll(b, []byte("$1: (a rule)"))
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for _, row := range rows {
		for i := range row {
			row[i] = failedRule.ReplaceAllString(row[i], "$1: (a rule)")
		}
		_ = w.Write(row)
	}
	w.Flush()
	return out.Bytes()
}

func TestClassGradebook(t *testing.T) {
	if testing.Short() {
		t.Skip("grades a class of 30 twice")
	}
	root, err := course.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c, err := course.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var es []*course.Exercise
	for _, name := range classExercises {
		es = append(es, c.Lookup(name))
	}
	bin := buildGrade(t)
	dir := t.TempDir()
	classDir := filepath.Join(dir, "class")
	expect, err := class.Generate(c, classDir, class.GenerateParams{Exercises: es})
	if err != nil {
		t.Fatal(err)
	}
	if len(expect) != 30 {
		t.Fatalf("Generate made %d submissions; want 30", len(expect))
	}
	args := func(more ...string) []string {
		return append(append([]string{"-n", classRuns, "-seed", "11", "-submissions", classDir}, more...), classExercises...)
	}

	// The whole class in one process.
	whole := filepath.Join(dir, "whole")
	code, stdout, stderr := runGrade(t, bin, root, args("-out", whole)...)
	if code != 0 {
		t.Fatalf("grade -submissions exit %d\n%s\n%s", code, stdout, stderr)
	}
	book := readGradebook(t, filepath.Join(whole, class.BookJSON))
	checkRows(t, book, expect, es)
	checkStudentFiles(t, whole, expect)

	checkReproduce(t, bin, root, whole, "wrong-01")

	// The same class in four shards, four processes at once, merged.
	var wg sync.WaitGroup
	codes := make([]int, 4)
	outs := make([]string, 4)
	for k := 1; k <= 4; k++ {
		wg.Go(func() {
			codes[k-1], outs[k-1], _ = runGrade(t, bin, root, args("-shard", fmt.Sprintf("%d/4", k), "-out", filepath.Join(dir, fmt.Sprintf("shard%d", k)))...)
		})
	}
	wg.Wait()
	var files []string
	for k := 1; k <= 4; k++ {
		if codes[k-1] != 0 {
			t.Fatalf("shard %d/4: exit %d\n%s", k, codes[k-1], outs[k-1])
		}
		files = append(files, filepath.Join(dir, fmt.Sprintf("shard%d", k), fmt.Sprintf("results-%d-of-4.json", k)))
	}
	merged := filepath.Join(dir, "merged")
	if code, stdout, stderr := runGrade(t, bin, root, append([]string{"merge", "-out", merged}, files...)...); code != 0 {
		t.Fatalf("grade merge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{class.BookCSV, class.BookJSON} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(merged, f))
		a, b = withoutFailedRules(t, f, a), withoutFailedRules(t, f, b)
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("the merged %s differs from the unsharded one: %s", f, firstDiff(string(a), string(b)))
		}
	}

	// A missing or a duplicated shard is an error that names it.
	for _, tt := range []struct {
		files []string
		want  string
	}{
		{[]string{files[0], files[1], files[3]}, "shard 3/4 is missing"},
		{append(slices.Clone(files), files[1]), "shard 2/4 is given twice"},
	} {
		code, _, stderr := runGrade(t, bin, root, append([]string{"merge", "-out", filepath.Join(dir, "bad")}, tt.files...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("grade merge of %d files: exit %d, stderr %q; want exit 2 naming %q", len(tt.files), code, stderr, tt.want)
		}
	}
}

func readGradebook(t *testing.T, name string) *class.Gradebook {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var g class.Gradebook
	if err := dec.Decode(&g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// checkRows checks that every row of the gradebook gives its student
// what the generated submission deserves.
func checkRows(t *testing.T, g *class.Gradebook, expect []class.Expected, es []*course.Exercise) {
	t.Helper()
	if len(g.Students) != len(expect) {
		t.Fatalf("the gradebook has %d rows; want %d", len(g.Students), len(expect))
	}
	rows := map[string]class.Row{}
	for _, r := range g.Students {
		rows[r.Student] = r
	}
	for _, x := range expect {
		row, ok := rows[x.Student]
		if !ok {
			t.Errorf("no row for %s", x.Student)
			continue
		}
		var want float64
		for i, e := range es {
			m := row.Exercises[i]
			deserve := x.Deserve[e.Name]
			ok := m.Exercise == e.Name
			switch deserve {
			case class.DeservePass:
				ok = ok && m.Status == "pass" && m.Score == float64(e.Points()) && m.Reason == ""
				want += float64(e.Points())
			case class.DeserveWrong:
				ok = ok && (m.Status == "fail" && strings.HasPrefix(m.Reason, "fails: ") || m.Status == "timeout" && strings.HasPrefix(m.Reason, "times out: ")) && m.Score == 0
			case class.DeserveNoCompile:
				ok = ok && m.Status == "fail" && strings.HasPrefix(m.Reason, "does not compile: "+e.Dir+"/main.go:") && m.Score == 0
			case class.DeserveMissing, class.DeserveUnchanged:
				ok = ok && m.Status == deserve && strings.HasPrefix(m.Reason, deserve+": ") && m.Score == 0
			default:
				t.Fatalf("%s deserves %q on %s", x.Student, deserve, e.Name)
			}
			if !ok {
				t.Errorf("%s on %s: %+v; it deserves %s", x.Student, e.Name, m, deserve)
			}
		}
		if row.Score != want || row.MaxScore != g.MaxScore {
			t.Errorf("%s scores %v of %v; want %v of %v", x.Student, row.Score, row.MaxScore, want, g.MaxScore)
		}
		if x.Note != "" && !strings.Contains(strings.Join(row.Notes, "\n"), x.Note) {
			t.Errorf("%s's notes = %q; want one saying %q", x.Student, row.Notes, x.Note)
		}
	}
}

// checkStudentFiles checks that every student has a grade -json report
// and a JUnit file.
func checkStudentFiles(t *testing.T, out string, expect []class.Expected) {
	t.Helper()
	for _, x := range expect {
		base := filepath.Join(out, class.StudentsDir, x.Student)
		b, err := os.ReadFile(base + ".json")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var top jsonTop
		if err := dec.Decode(&top); err != nil || top.Exercises == nil || len(*top.Exercises) != len(classExercises) {
			t.Errorf("%s.json: %v; want a grade -json report of %d exercises", x.Student, err, len(classExercises))
		}
		x1, err := os.ReadFile(base + ".xml")
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct{} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(x1, &suites); err != nil || len(suites.Suites) != len(classExercises) {
			t.Errorf("%s.xml: %v, %d suites; want JUnit with a suite per exercise", x.Student, err, len(suites.Suites))
		}
	}
}

// firstDiff says where two texts first differ, by line.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d is\n\t%s\nunsharded, and\n\t%s\nmerged", i+1, x, y)
		}
	}
	return "(no line differs)"
}

// checkReproduce runs the reproduce command of a student's first failure
// and checks that it replays the failing run's seed.
func checkReproduce(t *testing.T, bin, root, out, student string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, class.StudentsDir, student+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Exercises []struct {
			Reproduce string
			Tests     []struct {
				Status string
				Seed   uint64
			}
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Exercises {
		cmd, ok := strings.CutPrefix(e.Reproduce, "go run ./cmd/grade ")
		if !ok {
			continue
		}
		var seed uint64
		for _, ts := range e.Tests {
			if ts.Status == "fail" && seed == 0 {
				seed = ts.Seed
			}
		}
		if !strings.Contains(cmd, fmt.Sprintf("-seed %d ", seed)) || !strings.Contains(cmd, "-submission ") {
			t.Fatalf("reproduce = %q; want -submission and the failing run's -seed %d", e.Reproduce, seed)
		}
		code, stdout, stderr := runGrade(t, bin, root, append([]string{"-json"}, strings.Fields(cmd)...)...)
		var again struct {
			Exercises []struct {
				Tests []struct {
					Status string
					Seed   uint64
				}
			}
		}
		if err := json.Unmarshal([]byte(stdout), &again); err != nil || code != 1 || len(again.Exercises) != 1 {
			t.Fatalf("%s: exit %d, %v\n%s\n%s", e.Reproduce, code, err, stdout, stderr)
		}
		for _, ts := range again.Exercises[0].Tests {
			if ts.Status == "fail" && ts.Seed != seed {
				t.Errorf("%s fails in a run of seed %d; want %d, the run it reproduces", e.Reproduce, ts.Seed, seed)
			}
		}
		return
	}
	t.Fatalf("%s has no failure with a reproduce command", student)
}
