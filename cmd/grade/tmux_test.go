package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLearnerLoopInTmux drives the real grade binary in a real terminal,
// as a learner would: tmux runs a shell, the test types with send-keys and
// reads the screen with capture-pane. On a fresh copy of the course it
// checks the home screen, hint twice, watch reacting to a save (a compile
// error, then a pass that moves on), reset, and Chinese under
// LANG=zh_CN.UTF-8. Waits poll the screen with a bound that only a hang
// reaches; nothing here measures time.
func TestLearnerLoopInTmux(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed, so the terminal test cannot run; install it (apt-get install -y tmux, as .ci/run does)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	course := filepath.Join(work, "course")
	copyCourse(t, root, course)
	bin := filepath.Join(work, "bin", "grade")
	build := exec.Command("go", "build", "-o", bin, "./cmd/grade")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/grade: %v\n%s", err, out)
	}

	term := &tmuxTerm{t: t, tmux: tmux, sock: fmt.Sprintf("forklore-test-%d", os.Getpid())}
	term.start(course, bin)
	defer term.kill()

	// A fresh clone: nothing done, 01 next and not started; nothing built.
	term.run("grade")
	term.waitFor(`0 of \d+ exercises done`)
	term.waitFor(`Now: 01-start-target`)
	term.waitFor(`not started: the stub as shipped fails until you complete it`)
	term.waitFor(`go run ./cmd/grade watch`)

	// hint, twice: one more hint each time.
	term.run("grade hint 01")
	term.waitFor(`Hint 1 of \d:`)
	term.waitFor(`grade hint 01. again for the next hint`)
	if strings.Contains(term.screen(), "Hint 2 of") {
		t.Fatalf("the first hint call shows hint 2:\n%s", term.screen())
	}
	term.run("grade hint 01")
	term.waitFor(`Hint 2 of \d:`)

	// watch: a save that does not compile, then the solution; after the
	// pass it moves on to 02; q stops it.
	stub := filepath.Join(course, "exercises/01-start-target/main.go")
	term.run("grade watch 01")
	term.waitFor(`grade watch: 01-start-target`)
	term.waitFor(`Waiting for you to save`)
	write(t, stub, "package main\n\nfunc main() { x := 1 }\n")
	term.waitFor(`declared and not used: x`)
	term.waitFor(`Waiting for you to save`)
	sol, err := os.ReadFile(filepath.Join(course, "testdata/scripts/01-start-target/solution/main.go"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, stub, string(sol))
	term.waitFor(`✓ 01-start-target`)
	term.waitFor(`Moving on to 02-start-runner`)
	term.keys("q")
	term.waitFor(`grade watch: stopped`)

	term.run("grade")
	term.waitFor(`1 of \d+ exercises done`)
	term.waitFor(`Now: 02-start-runner`)

	// reset asks, backs the learner's file up, and restores the stub; a
	// second reset has nothing to do.
	term.run("grade reset 01")
	term.waitFor(`Replace your exercises/01-start-target with the stub as shipped\?`)
	term.keys("y", "Enter")
	term.waitFor(`is the stub as shipped again; your files are in \.grade/backup/01-start-target/`)
	backups, _ := filepath.Glob(filepath.Join(course, ".grade/backup/01-start-target/*/main.go"))
	if len(backups) != 1 {
		t.Fatalf("backups of 01 = %q; want one", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != string(sol) {
		t.Errorf("the backup %s does not hold the learner's file", backups[0])
	}
	term.run("grade reset 01")
	term.waitFor(`exercises/01-start-target has no changes`)

	// Chinese, from the locale.
	term.run("LANG=zh_CN.UTF-8 grade")
	term.waitFor(`已完成 0 个练习`)
	term.waitFor(`尚未开始`)
	term.run("LANG=zh_CN.UTF-8 grade hint 01")
	term.waitFor(`提示 3（共 3 条）`)
	term.waitFor(`这是最后一条提示了`)
}

// tmuxTerm is a shell in a tmux server of its own.
type tmuxTerm struct {
	t    *testing.T
	tmux string
	sock string
}

func (m *tmuxTerm) cmd(args ...string) *exec.Cmd {
	return exec.Command(m.tmux, append([]string{"-L", m.sock, "-f", "/dev/null"}, args...)...)
}

func (m *tmuxTerm) start(dir, bin string) {
	m.t.Helper()
	shell := fmt.Sprintf("cd %q && PS1='$ ' PATH=%q:$PATH exec bash --norc --noprofile", dir, filepath.Dir(bin))
	c := m.cmd("new-session", "-d", "-s", "learner", "-x", "220", "-y", "60", shell)
	c.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=", "LC_MESSAGES=", "TERM=xterm-256color",
		"GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "NO_COLOR=1")
	if out, err := c.CombinedOutput(); err != nil {
		m.t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
}

func (m *tmuxTerm) kill() { _ = m.cmd("kill-server").Run() }

// run types a command line, after clearing the screen and its history,
// so that what the screen shows next is this command's.
func (m *tmuxTerm) run(line string) {
	m.t.Helper()
	m.keys("clear", "Enter")
	time.Sleep(100 * time.Millisecond)
	_ = m.cmd("clear-history", "-t", "learner").Run()
	m.keys(line, "Enter")
}

func (m *tmuxTerm) keys(keys ...string) {
	m.t.Helper()
	if out, err := m.cmd(append([]string{"send-keys", "-t", "learner"}, keys...)...).CombinedOutput(); err != nil {
		m.t.Fatalf("tmux send-keys: %v\n%s", err, out)
	}
}

// screen returns the pane with its history, wrapped lines joined.
func (m *tmuxTerm) screen() string {
	out, err := m.cmd("capture-pane", "-p", "-J", "-S", "-", "-t", "learner").Output()
	if err != nil {
		m.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// hang bounds every wait: reaching it means the program hung, never that
// the machine is slow (a grading takes seconds even on a busy machine).
const hang = 10 * time.Minute

func (m *tmuxTerm) waitFor(pattern string) {
	m.t.Helper()
	re := regexp.MustCompile(pattern)
	for end := time.Now().Add(hang); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if re.MatchString(m.screen()) {
			return
		}
	}
	m.t.Fatalf("the screen never showed %q; it shows:\n%s", pattern, m.screen())
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

// copyCourse copies the module at root to dst as a fresh clone would have
// it: without .git and without any progress in .grade.
func copyCourse(t *testing.T, root, dst string) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".grade") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o777)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
}
