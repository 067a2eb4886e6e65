package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/report"
	"github.com/forklore/forklore/internal/timeline"
)

// timelineDir is where, under the course root, the failing run of every
// failed exercise is drawn when no -timeline is given. It survives
// grading, and .gitignore keeps it out of the repository.
const timelineDir = ".grade/timelines"

// pictures writes the pictures of graded runs (package timeline):
//
//   - with no flag, the failing run of every failed target, to
//     .grade/timelines/NN-name.html under the course root, and removes the
//     picture of a target that now passes, so that none is stale;
//   - with -timeline DIR, one run of every graded target to DIR (the
//     failing run, else the first);
//   - with -trace-json FILE, one run of the single graded target as
//     Chrome trace-event JSON.
//
// The report names the picture of each failed target.
type pictures struct {
	dir       string // -timeline, else the course's timelineDir
	all       bool   // -timeline: draw every target, passed or not
	traceJSON string // -trace-json
	traceFile *os.File
	cwd       string
}

// timelineFlags adds -timeline and -trace-json to fs.
func timelineFlags(fs *flag.FlagSet) *pictures {
	p := &pictures{}
	fs.StringVar(&p.dir, "timeline", "", "write the timeline of one run of every graded exercise to `DIR`/NN-name.html (the failing run, else the first); without it, the failing run of each failed exercise is drawn in "+timelineDir+" under the course root")
	fs.StringVar(&p.traceJSON, "trace-json", "", "write one run of the graded exercise (the failing run, else the first) as Chrome trace-event JSON to `FILE`, which ui.perfetto.dev and chrome://tracing open; grade one exercise only")
	return p
}

// prepare checks the flags against the targets before anything is graded,
// creates the output files, and asks the engine to keep a run of each
// target when a picture of every target is wanted.
func (p *pictures) prepare(cwd, root string, targets []course.Target, params *engine.Params) error {
	p.cwd = cwd
	if p.traceJSON != "" {
		if len(targets) != 1 {
			return fmt.Errorf("-trace-json writes one run of one exercise, and %d are graded; name one, as in grade -trace-json run.json 12", len(targets))
		}
		f, err := os.Create(p.traceJSON)
		if err != nil {
			return fmt.Errorf("cannot write the -trace-json file: %w", err)
		}
		p.traceFile = f
		params.Record = true
	}
	if p.dir != "" {
		if err := os.MkdirAll(p.dir, 0o777); err != nil {
			return fmt.Errorf("cannot make the -timeline folder: %w", err)
		}
		p.all, params.Record = true, true
	} else {
		p.dir = filepath.Join(root, filepath.FromSlash(timelineDir))
	}
	return nil
}

// write draws the verdict of r, if it kept a run, and records in r the
// picture a failed target's report names. A picture that cannot be
// written is said on stderr; the verdict stands.
func (p *pictures) write(r *report.Result, stderr io.Writer) {
	v := r.Verdict
	if v == nil {
		return
	}
	path := filepath.Join(p.dir, pictureName(r.Target))
	if p.traceFile != nil {
		if v.Failing == nil {
			fmt.Fprintf(stderr, "grade: -trace-json: %s did not run (it does not compile), so %s is empty\n", r.Target.Label(), p.traceJSON)
		} else if err := timeline.ChromeTrace(p.traceFile, v.Failing); err != nil {
			fmt.Fprintf(stderr, "grade: cannot write the -trace-json file: %v\n", err)
		}
	}
	if (v.Passed() || v.Failing == nil) && !p.all {
		// The picture of an older failure would now be stale.
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "grade: cannot remove the stale timeline %s: %v\n", p.show(path), err)
		}
		return
	}
	if v.Failing == nil {
		return // it did not compile: no run to draw
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		fmt.Fprintf(stderr, "grade: cannot write the timeline: %v\n", err)
		return
	}
	if err := writeFile(path, func(w io.Writer) error {
		return timeline.HTML(w, v.Failing, pageTitle(r.Target, v), pageNotes(v)...)
	}); err != nil {
		fmt.Fprintf(stderr, "grade: cannot write the timeline: %v\n", err)
		return
	}
	if !v.Passed() {
		r.Timeline = p.show(path)
	}
}

// close closes the -trace-json file.
func (p *pictures) close() {
	if p.traceFile != nil {
		p.traceFile.Close()
	}
}

// show names path as a person would type it here: relative to the
// current folder when it is below it, else in full.
func (p *pictures) show(path string) string {
	if rel, err := filepath.Rel(p.cwd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return path
}

// pictureName is the file of a target's picture: NN-name.html for the
// learner's program, NN-name-solution.html and NN-name-wrong-W.html for
// the others.
func pictureName(t course.Target) string {
	switch t.Kind {
	case course.Solution:
		return t.Name + "-solution.html"
	case course.Mistake:
		return t.Name + "-wrong-" + t.Wrong.Name + ".html"
	}
	return t.Name + ".html"
}

func pageTitle(t course.Target, v *engine.Verdict) string {
	rec := v.Failing
	if v.Passed() {
		return fmt.Sprintf("%s: run %d of %d (every rule held)", t.Label(), rec.Index+1, v.Runs)
	}
	return fmt.Sprintf("%s: run %d of %d, which failed", t.Label(), rec.Index+1, v.Runs)
}

func pageNotes(v *engine.Verdict) []string {
	var notes []string
	if h := v.Headline(); h != nil {
		notes = append(notes, "✗ "+h.Rule)
	}
	if v.Reproduce != "" {
		notes = append(notes, "reproduce: "+v.Reproduce+" (same seed, same perturbation; the OS may still schedule differently)")
	}
	return notes
}

// writeFile writes a file whole or not at all: a browser that has the old
// picture open never sees half of the new one.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".timeline-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
