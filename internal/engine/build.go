package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var compileErr = regexp.MustCompile(`(?m)^([^\s:]+\.go):(\d+):(\d+): .*$`)

// build compiles the package pkg (relative to root) into bin, through an
// overlay so that nothing is written into the course: files, if not nil,
// are the Go files to build in pkg's place, by name (a reference solution
// or a known-wrong program); source, if not empty, is a folder whose .go
// files are built in pkg's place (a submission). race builds with the race
// detector. A program that does not compile is a *CompileError, not an
// error.
func build(ctx context.Context, root, pkg string, files map[string][]byte, source string, race bool, bin string) (*CompileError, error) {
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	replace := map[string]string{}
	if files != nil || source != "" {
		old, _ := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		for _, f := range old {
			replace[f] = "" // deleted, unless replaced below
		}
	}
	for name, src := range files {
		tmp := filepath.Join(filepath.Dir(bin), name)
		if err := os.WriteFile(tmp, src, 0o666); err != nil {
			return nil, err
		}
		replace[filepath.Join(root, pkg, name)] = tmp
	}
	if source != "" {
		found, _ := filepath.Glob(filepath.Join(source, "*.go"))
		if len(found) == 0 {
			return &CompileError{File: pkg + "/main.go", Line: 1, Output: "no Go files in " + source}, nil
		}
		for _, f := range found {
			abs, _ := filepath.Abs(f)
			replace[filepath.Join(root, pkg, filepath.Base(f))] = abs
		}
	}
	if len(replace) > 0 {
		ov, _ := json.Marshal(map[string]map[string]string{"Replace": replace})
		ovFile := filepath.Join(filepath.Dir(bin), "overlay.json")
		if err := os.WriteFile(ovFile, ov, 0o666); err != nil {
			return nil, err
		}
		args = append(args, "-overlay", ovFile)
	}
	args = append(args, "./"+pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if !race {
		// A static binary starts each mp child sooner than one linked with
		// libc, which importing net causes by default.
		cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil, nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ctx.Err() != nil {
		return nil, fmt.Errorf("cannot run go build: %v", err)
	}
	return compileError(root, pkg, source, string(out)), nil
}

// compileError turns go build's output into a CompileError with paths
// relative to the course root. A submission's files are named as the
// exercise's own (pkg/main.go), wherever the submission lies: go prints
// them absolute or relative to root, whichever is shorter, so a class in
// a folder next to the course would otherwise show "../class/...".
func compileError(root, pkg, source, out string) *CompileError {
	ce := &CompileError{}
	var lines []string
	sep := string(filepath.Separator)
	var prefixes []string // longest first
	if source != "" {
		if abs, err := filepath.Abs(source); err == nil {
			prefixes = append(prefixes, abs+sep)
			if rel, err := filepath.Rel(root, abs); err == nil {
				prefixes = append(prefixes, rel+sep)
			}
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				l = pkg + sep + strings.TrimPrefix(l, p)
			}
			l = strings.ReplaceAll(l, " "+p, " "+pkg+sep)
		}
		l = strings.ReplaceAll(l, root+sep, "")
		l = strings.TrimPrefix(l, "./")
		if m := compileErr.FindStringSubmatch(l); m != nil {
			if !strings.Contains(m[1], "/") {
				l = pkg + "/" + l // go printed the path relative to the package
				m = compileErr.FindStringSubmatch(l)
			}
			if ce.File == "" {
				ce.File = m[1]
				ce.Line, _ = strconv.Atoi(m[2])
				ce.Col, _ = strconv.Atoi(m[3])
			}
		}
		lines = append(lines, l)
	}
	if ce.File == "" {
		ce.File = pkg + "/main.go"
	}
	ce.Output = strings.Join(lines, "\n")
	return ce
}
