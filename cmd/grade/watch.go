package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/engine"
	"github.com/forklore/forklore/internal/i18n"
	"github.com/forklore/forklore/internal/report"
	"github.com/forklore/forklore/internal/study"
	"github.com/fsnotify/fsnotify"
)

func init() { subcommands["watch"] = watchCmd }

const watchUsage = `usage: grade watch [-poll D] [-j N] [-lang en|zh] [EXERCISE]

watch grades an exercise each time you save it (the first one not passed
if none is named), on a cleared screen, and moves on to the next exercise
once it passes. A save in the middle of a grading starts it again. Press
q, or Ctrl-C, to stop; r regrades at once.

It hears saves from the file system's events (fsnotify) and also looks
at the files every second, so that it works where events do not arrive
(WSL on a Windows folder, network and container mounts); -poll D looks
every D instead and uses no events at all.
`

// debounce is how long watch waits after a save for the next one: an
// editor often writes a file in several steps.
const debounce = 250 * time.Millisecond

func watchCmd(args []string, stdout, stderr io.Writer) int {
	var lang string
	fs := newFlags("watch", watchUsage, &lang, stdout, stderr)
	poll := fs.Duration("poll", 0, "look for saves every `D` (as 500ms) instead of using file-system events")
	parallel := fs.Int("j", watchParallel(), "runs at once")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	s, code := openSession(lang, stdout, stderr)
	if s == nil {
		return code
	}
	if fs.NArg() > 1 {
		return s.fail(i18n.T(s.lang, "watch takes at most one exercise, as in `go run ./cmd/grade watch 05`"))
	}
	if *poll < 0 || *parallel < 1 {
		return s.fail(i18n.T(s.lang, "-poll must be positive and -j at least 1; see grade watch -h"))
	}
	var e *course.Exercise
	if fs.NArg() == 1 {
		var err error
		if e, err = s.exercise(fs.Arg(0)); err != nil {
			if gone := s.goneFolder(fs.Arg(0)); gone != "" {
				return s.fail(i18n.T(s.lang, "%s is gone: there is nothing to watch; restore it from your copy of the course (git checkout -- %s, or unpack the download again)", gone, gone))
			}
			return s.fail(err.Error())
		}
	} else {
		states, err := s.book.States()
		if err != nil {
			return s.fail(err.Error())
		}
		i := study.Current(states)
		if i < 0 {
			fmt.Fprintln(stdout, i18n.T(s.lang, "Every exercise passes: the course is done."))
			return 0
		}
		e = states[i].E
	}
	if msg := s.folderProblem(e); msg != "" {
		return s.fail(msg)
	}
	w := &watch{s: s, e: e, poll: *poll, p: engine.Params{Parallel: *parallel}, term: isTerminal(stdout)}
	return w.loop()
}

// folderProblem says why e's folder cannot be watched, or "".
func (s *session) folderProblem(e *course.Exercise) string {
	dir := filepath.Join(s.c.Root, filepath.FromSlash(e.Dir))
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return i18n.T(s.lang, "%s is gone: there is nothing to watch; restore it from your copy of the course (git checkout -- %s, or unpack the download again)", e.Dir, e.Dir)
	case err != nil:
		return i18n.T(s.lang, "cannot read %s: %v", e.Dir, err)
	case !st.IsDir():
		return i18n.T(s.lang, "%s is not a folder; restore it from your copy of the course", e.Dir)
	case !writable(dir):
		return i18n.T(s.lang, "%s is read-only: you could not save your work there; make it writable (chmod -R u+w %s) or work in a copy of the course that you own", e.Dir, e.Dir)
	}
	return ""
}

// goneFolder returns the folder of the exercise arg names when the
// course has its rules but not its folder any more, else "".
func (s *session) goneFolder(arg string) string {
	files, _ := filepath.Glob(filepath.Join(s.c.Root, "testdata", "scripts", "[0-9][0-9]-*.txtar"))
	n, numErr := strconv.Atoi(arg)
	arg = strings.TrimPrefix(strings.TrimSuffix(filepath.ToSlash(arg), "/"), "./")
	arg = strings.TrimPrefix(arg, "exercises/")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		if name == arg || numErr == nil && name[:2] == fmt.Sprintf("%02d", n) || strings.HasPrefix(name, arg) {
			if _, err := os.Stat(filepath.Join(s.c.Root, "exercises", name)); err != nil {
				return "exercises/" + name
			}
		}
	}
	return ""
}

// watch is one grade watch session.
type watch struct {
	s    *session
	e    *course.Exercise
	poll time.Duration
	p    engine.Params
	term bool
	// graded is the content key of the last grading started, so that a
	// save that changed nothing does not grade again.
	graded string
}

// outcome is a grading's end, sent from its goroutine.
type outcome struct {
	e   *course.Exercise
	v   *engine.Verdict
	err error
}

func (w *watch) loop() int {
	s := w.s
	if f, ok := s.stdout.(*os.File); ok && isTerminal(os.Stdin) && isTerminal(f) {
		if restore, err := cbreak(os.Stdin); err == nil {
			defer restore()
		}
	}
	keys := make(chan byte, 8)
	go readKeys(os.Stdin, keys)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	fw, err := newFolderWatch(filepath.Join(s.c.Root, filepath.FromSlash(w.e.Dir)), w.poll)
	if err != nil {
		return s.fail(err.Error())
	}
	defer func() { fw.close() }()

	var cancel context.CancelFunc = func() {}
	defer func() { cancel() }()
	done := make(chan outcome, 1)
	pr := newProgress(s.stdout, s.lang)
	start := func() {
		cancel()
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		w.graded, _ = s.book.Key(w.e)
		w.header()
		e := w.e
		if pr == nil {
			fmt.Fprintln(s.stdout, i18n.T(s.lang, "grading %s…", e.Name))
		}
		go func() {
			v, err := s.gradeExercise(ctx, e, w.p, pr)
			if ctx.Err() != nil {
				return
			}
			done <- outcome{e, v, err}
		}()
	}
	// show says where the watched exercise stands without grading it, or
	// grades it when it changed since it was last graded.
	show := func() {
		st, err := s.book.StateOf(w.e)
		if err != nil {
			w.header()
			fmt.Fprintln(s.stdout, err)
			return
		}
		switch st.Status {
		case study.Changed:
			start()
			return
		case study.NotStarted:
			w.header()
			fmt.Fprintln(s.stdout, i18n.T(s.lang, "not started: the stub as shipped fails until you complete it, as expected"))
		default:
			w.graded = st.Key
			w.header()
			fmt.Fprintln(s.stdout, i18n.T(s.lang, "remembered from the last grading of this content: %s", statusText(s.lang, st)))
		}
		w.footer()
	}
	show()

	var timer <-chan time.Time
	for {
		select {
		case <-fw.changes:
			timer = time.After(debounce)
		case <-timer:
			timer = nil
			key, err := s.book.Key(w.e)
			if err != nil || key == w.graded {
				continue
			}
			if untouched, _ := s.c.Untouched(w.e); untouched {
				// Saved back to the stub as shipped: nothing to grade.
				cancel()
				w.graded = key
				show()
				continue
			}
			start()
		case <-fw.gone:
			cancel()
			if pr != nil {
				pr.end()
			}
			fmt.Fprintln(s.stdout)
			return s.fail(s.folderProblem(w.e))
		case k := <-keys:
			switch k {
			case 'q', 'Q', 3:
				cancel()
				if pr != nil {
					pr.end()
				}
				fmt.Fprintln(s.stdout, i18n.T(s.lang, "grade watch: stopped"))
				return 0
			case 'r', 'R':
				start()
			}
		case <-sigs:
			cancel()
			if pr != nil {
				pr.end()
			}
			fmt.Fprintln(s.stdout, i18n.T(s.lang, "grade watch: stopped"))
			return 130
		case o := <-done:
			if o.e != w.e {
				continue
			}
			if o.err != nil {
				fmt.Fprintln(s.stdout, i18n.T(s.lang, "grading could not judge it: %v", o.err))
				w.footer()
				continue
			}
			text := &report.Text{W: s.stdout, Lang: s.lang, Colour: colour(s.stdout)}
			r := report.Result{Target: course.Target{Exercise: o.e}, Verdict: o.v}
			text.Line(&r)
			if !o.v.Passed() {
				text.Explain([]report.Result{r})
				w.footer()
				continue
			}
			next := w.next()
			if next == nil {
				fmt.Fprintf(s.stdout, "\n%s\n", i18n.T(s.lang, "Every exercise passes: the course is done. `go run ./cmd/grade solution NN` compares yours with the reference solutions."))
				return 0
			}
			fmt.Fprintf(s.stdout, "\n%s\n", i18n.T(s.lang, "%s passes. `go run ./cmd/grade solution %s` shows the reference solution beside yours.", o.e.Name, short(o.e)))
			fmt.Fprintf(s.stdout, "%s\n", i18n.T(s.lang, "Moving on to %s — %s: read %s, then edit %s; this watch grades it on every save.", next.Name, next.Title(s.lang), s.readme(next), next.Stub()))
			if msg := s.folderProblem(next); msg != "" {
				return s.fail(msg)
			}
			fw.close()
			if fw, err = newFolderWatch(filepath.Join(s.c.Root, filepath.FromSlash(next.Dir)), w.poll); err != nil {
				return s.fail(err.Error())
			}
			w.e, w.graded = next, ""
			if st, err := s.book.StateOf(next); err == nil && st.Status == study.Changed {
				start()
			} else {
				w.footer()
			}
		}
	}
}

// next returns the first exercise after the watched one that has not
// passed, else the first before it, else nil.
func (w *watch) next() *course.Exercise {
	states, err := w.s.book.States()
	if err != nil {
		return nil
	}
	i := slices.IndexFunc(states, func(st study.State) bool { return st.E == w.e })
	for _, st := range append(states[i+1:], states[:i]...) {
		if st.Status != study.Passed {
			return st.E
		}
	}
	return nil
}

// header clears the screen (a terminal) and names what is watched.
func (w *watch) header() {
	s := w.s
	if w.term {
		fmt.Fprint(s.stdout, "\x1b[H\x1b[2J\x1b[3J")
	} else {
		fmt.Fprintln(s.stdout, strings.Repeat("─", 60))
	}
	fmt.Fprintf(s.stdout, "grade watch: %s — %s\n", w.e.Name, w.e.Title(s.lang))
	fmt.Fprintf(s.stdout, "%s\n\n", i18n.T(s.lang, "%s · saved at %s · q or Ctrl-C stops, r regrades", w.e.Dir+"/*.go", time.Now().Format("15:04:05")))
}

// footer says what to do while waiting for the next save.
func (w *watch) footer() {
	fmt.Fprintf(w.s.stdout, "\n%s\n", i18n.T(w.s.lang, "Waiting for you to save %s… (stuck? `go run ./cmd/grade hint %s`)", w.e.Stub(), short(w.e)))
}

// readKeys sends every byte read from r to keys, until r ends.
func readKeys(r io.Reader, keys chan<- byte) {
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			keys <- b[0]
		}
		if err != nil {
			return
		}
	}
}

// folderWatch tells of changes to a folder's Go files, and of the folder
// vanishing. It uses file-system events where it can, and also compares
// the files every second (or every poll), for file systems that send no
// events.
type folderWatch struct {
	dir     string
	changes chan struct{}
	gone    chan struct{}
	stop    chan struct{}
	fsw     *fsnotify.Watcher
}

func newFolderWatch(dir string, poll time.Duration) (*folderWatch, error) {
	fw := &folderWatch{dir: dir, changes: make(chan struct{}, 1), gone: make(chan struct{}, 1), stop: make(chan struct{})}
	interval := poll
	if poll == 0 {
		interval = time.Second
		if w, err := fsnotify.NewWatcher(); err == nil {
			if err := w.Add(dir); err == nil {
				fw.fsw = w
				go fw.events()
			} else {
				w.Close()
			}
		}
	}
	go fw.compare(interval)
	return fw, nil
}

func (fw *folderWatch) close() {
	close(fw.stop)
	if fw.fsw != nil {
		fw.fsw.Close()
	}
}

func (fw *folderWatch) changed() {
	select {
	case fw.changes <- struct{}{}:
	default:
	}
}

func (fw *folderWatch) events() {
	for {
		select {
		case ev, ok := <-fw.fsw.Events:
			if !ok {
				return
			}
			if strings.HasSuffix(ev.Name, ".go") {
				fw.changed()
			}
			if filepath.Clean(ev.Name) == filepath.Clean(fw.dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				select {
				case fw.gone <- struct{}{}:
				default:
				}
			}
		case _, ok := <-fw.fsw.Errors:
			if !ok {
				return
			}
		case <-fw.stop:
			return
		}
	}
}

// compare looks at the folder every interval: a change in the names,
// sizes or times of its Go files is a save; a missing folder is gone.
func (fw *folderWatch) compare(interval time.Duration) {
	last := snapshot(fw.dir)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-fw.stop:
			return
		case <-t.C:
		}
		if st, err := os.Stat(fw.dir); err != nil || !st.IsDir() {
			select {
			case fw.gone <- struct{}{}:
			default:
			}
			return
		}
		if now := snapshot(fw.dir); now != last {
			last = now
			fw.changed()
		}
	}
}

func snapshot(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var b strings.Builder
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", filepath.Base(f), st.Size(), st.ModTime().UnixNano())
		}
	}
	return b.String()
}
