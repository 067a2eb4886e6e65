package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/forklore/forklore/internal/i18n"
)

// The checks of the source: mistakes that leave nothing to observe while
// the program runs, such as an error from Start that is thrown away. They
// read the Go files the program was built from and point at the learner's
// line, as a compile error does.

func prepareSource(c *call) (func(*state) error, error) {
	a := c.args
	var desc i18n.Msg
	var check func(files []srcFile) *violation
	switch {
	case a[0] == "errors" && len(a) >= 2:
		calls := a[1:]
		desc = i18n.M("the error that %s returns is checked, never thrown away", strings.Join(calls, " or "))
		check = func(fs []srcFile) *violation { return checkErrorsUsed(fs, calls) }
	case a[0] == "results" && len(a) >= 2:
		calls := a[1:]
		desc = i18n.M("what %s returns is looked at, never thrown away", strings.Join(calls, " or "))
		check = func(fs []srcFile) *violation { return checkResultsUsed(fs, calls) }
	case a[0] == "before" && len(a) == 4:
		fn, first, then := a[1], a[2], a[3]
		desc = i18n.M("%s calls %s before %s", fn, first, then)
		check = func(fs []srcFile) *violation { return checkCallOrder(fs, fn, first, then) }
	case a[0] == "inloop" && len(a) >= 3:
		in, calls := a[1], a[2:]
		desc = i18n.M("no loop that calls %s waits in %s", in, strings.Join(calls, " or "))
		check = func(fs []srcFile) *violation { return checkLoopCalls(fs, in, calls) }
	case a[0] == "nocall" && len(a) >= 3:
		fn, calls := a[1], a[2:]
		desc = i18n.M("%s calls no %s", fn, strings.Join(calls, " and no "))
		check = func(fs []srcFile) *violation { return checkCalls(fs, fn, calls, false) }
	case a[0] == "noloop" && len(a) >= 3:
		fn, calls := a[1], a[2:]
		desc = i18n.M("%s calls %s once, not in a loop", fn, strings.Join(calls, " or "))
		check = func(fs []srcFile) *violation { return checkCalls(fs, fn, calls, true) }
	default:
		return nil, c.errorf("usage: source %s", c.cmd.args)
	}
	return func(s *state) error {
		ch := Check{Command: c.cmd.name, Pos: c.Pos, Status: Pass, Weight: c.weight()}
		ch.Rule, ch.RuleZh = c.rule(desc)
		files, err := s.g.sources()
		switch {
		case err != nil:
			return err
		case files == nil:
			ch.Status = Skip
			ch.setWhy(i18n.M("the program is not Go source the grader built"))
		default:
			if v := check(files); v != nil {
				ch.Status, ch.Lines, ch.In = Fail, v.lines, v.file
				ch.setWhy(v.why)
				for _, f := range files {
					if f.path == v.file {
						ch.Excerpt = excerpt(f.lines, v.lines)
					}
				}
			}
		}
		var failed []int
		if ch.Failed() {
			// A mistake in the source is in every run.
			failed = allRuns(max(len(s.runs), 1))
		}
		s.record(ch, failed)
		return nil
	}, nil
}

// srcFile is one Go file of the program, parsed.
type srcFile struct {
	path  string // as the learner knows it, relative to the course root
	fset  *token.FileSet
	file  *ast.File
	lines []Line
}

// sources returns the Go files the program was built from, parsed, or nil
// when it was not built from Go (a -cmd program).
func (g *grading) sources() ([]srcFile, error) {
	if !g.built {
		return nil, nil
	}
	if g.srcs != nil {
		return g.srcs, nil
	}
	texts := map[string][]byte{}
	switch {
	case g.files != nil:
		for name, b := range g.files {
			texts[g.t.Dir+"/"+name] = b
		}
	default:
		dir := filepath.Join(g.c.Root, filepath.FromSlash(g.t.Dir))
		shown := g.t.Dir
		if g.p.Source != "" {
			dir, shown = g.p.Source, g.p.Source
		}
		names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, n := range names {
			if strings.HasSuffix(n, "_test.go") {
				continue
			}
			b, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			texts[shown+"/"+filepath.Base(n)] = b
		}
	}
	var paths []string
	for p := range texts {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	g.srcs = []srcFile{}
	for _, p := range paths {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, texts[p], parser.SkipObjectResolution)
		if err != nil {
			continue // it compiled, so this is not part of the build
		}
		var lines []Line
		for i, l := range strings.Split(string(texts[p]), "\n") {
			lines = append(lines, Line{N: i + 1, Text: l})
		}
		g.srcs = append(g.srcs, srcFile{path: p, fset: fset, file: f, lines: lines})
	}
	return g.srcs, nil
}

// calleeName returns the name a call is made by: F in F(), x.F() or x.y.F().
func calleeName(call *ast.CallExpr) string {
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	case *ast.IndexExpr: // a generic call such as F[T](x)
		if id, ok := fn.X.(*ast.Ident); ok {
			return id.Name
		}
		if sel, ok := fn.X.(*ast.SelectorExpr); ok {
			return sel.Sel.Name
		}
	}
	return ""
}

func (f *srcFile) at(n ast.Node) Line {
	l := f.fset.Position(n.Pos()).Line
	if l >= 1 && l <= len(f.lines) {
		return f.lines[l-1]
	}
	return Line{N: l}
}

// checkErrorsUsed finds a call of one of calls whose result is dropped: a
// call standing alone, run by go or defer, or assigned only to _.
func checkErrorsUsed(files []srcFile, calls []string) *violation {
	if v := checkDropped(files, calls, false, func(path string, n int, name string) i18n.Msg {
		return i18n.M("%s:%d: the error %s returns is thrown away; check it (if err := ...; err != nil)", path, n, name)
	}); v != nil {
		return v
	}
	return checkErrorsUnread(files, calls)
}

// checkErrorsUnread finds an error of one of calls kept in a variable that
// nothing reads before it is lost: never read again in its function, or,
// kept inside a loop, not read before the loop goes round and the next
// call overwrites it (a check after the loop sees only the last call's).
// A variable is read where its name appears other than as the target of
// an assignment.
func checkErrorsUnread(files []srcFile, calls []string) *violation {
	for i := range files {
		f := &files[i]
		var found *violation
		var stack []ast.Node
		ast.Inspect(f.file, func(n ast.Node) bool {
			if found != nil {
				return false
			}
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			as, ok := n.(*ast.AssignStmt)
			if !ok || len(as.Rhs) != 1 || len(as.Lhs) == 0 {
				return true
			}
			call, ok := as.Rhs[0].(*ast.CallExpr)
			id, _ := as.Lhs[len(as.Lhs)-1].(*ast.Ident)
			if !ok || id == nil || id.Name == "_" || !slices.Contains(calls, calleeName(call)) {
				return true
			}
			scope, cond, inLoop := readScope(stack)
			if scope == nil || readAfter(scope, id.Name, as.End()) || cond != nil && readAfter(cond, id.Name, token.NoPos) {
				return true
			}
			l := f.at(as)
			why := i18n.M("%s:%d: the error %s returns is kept in %s, but nothing reads it; check it right after the call", f.path, l.N, calleeName(call), id.Name)
			if inLoop {
				why = i18n.M("%s:%d: the error %s returns is kept in %s, and the next time round the loop overwrites it unread; check it inside the loop", f.path, l.N, calleeName(call), id.Name)
			}
			found = &violation{why: why, lines: []Line{l}, file: f.path}
			return false
		})
		if found != nil {
			return found
		}
	}
	return nil
}

// readScope returns where a variable assigned at the top of stack must be
// read: the body of the innermost loop around it (or that loop's
// condition, which runs before the next time round), else of its
// function.
func readScope(stack []ast.Node) (scope, cond ast.Node, inLoop bool) {
	for i := len(stack) - 2; i >= 0; i-- {
		switch x := stack[i].(type) {
		case *ast.ForStmt:
			if x.Cond != nil {
				cond = x.Cond
			}
			return x.Body, cond, true
		case *ast.RangeStmt:
			return x.Body, nil, true
		case *ast.FuncDecl:
			return x.Body, nil, false
		case *ast.FuncLit:
			return x.Body, nil, false
		}
	}
	return nil, nil, false
}

// readAfter reports whether name is read in scope after pos: it appears
// other than as the target of an assignment.
func readAfter(scope ast.Node, name string, pos token.Pos) bool {
	targets := map[*ast.Ident]bool{}
	read := false
	ast.Inspect(scope, func(n ast.Node) bool {
		if read {
			return false
		}
		switch x := n.(type) {
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					targets[id] = true
				}
			}
		case *ast.Ident:
			read = x.Name == name && x.Pos() > pos && !targets[x]
		}
		return true
	})
	return read
}

// checkResultsUsed finds a call of one of calls whose first result is
// dropped: a call standing alone, run by go or defer, or whose first
// result is assigned to _, as the exited of `_, err := p.JoinTimeout(d)`.
func checkResultsUsed(files []srcFile, calls []string) *violation {
	return checkDropped(files, calls, true, func(path string, n int, name string) i18n.Msg {
		return i18n.M("%s:%d: what %s returns is thrown away, so the program goes on whatever it says; look at it", path, n, name)
	})
}

// checkDropped finds a call of one of calls whose results are all
// dropped, or, with first, whose first result is; why is the message,
// given the file, line and call's name.
func checkDropped(files []srcFile, calls []string, first bool, why func(path string, line int, call string) i18n.Msg) *violation {
	for i := range files {
		f := &files[i]
		var bad ast.Node
		var name string
		ast.Inspect(f.file, func(n ast.Node) bool {
			if bad != nil {
				return false
			}
			var call *ast.CallExpr
			switch st := n.(type) {
			case *ast.ExprStmt:
				call, _ = st.X.(*ast.CallExpr)
			case *ast.GoStmt:
				call = st.Call
			case *ast.DeferStmt:
				call = st.Call
			case *ast.AssignStmt:
				if len(st.Rhs) == 1 {
					if c, ok := st.Rhs[0].(*ast.CallExpr); ok && (allBlank(st.Lhs) || first && allBlank(st.Lhs[:1])) {
						call = c
					}
				}
			}
			if call != nil && slices.Contains(calls, calleeName(call)) {
				bad, name = call, calleeName(call)
			}
			return true
		})
		if bad != nil {
			l := f.at(bad)
			return &violation{why: why(f.path, l.N, name), lines: []Line{l}, file: f.path}
		}
	}
	return nil
}

func allBlank(es []ast.Expr) bool {
	for _, e := range es {
		if id, ok := e.(*ast.Ident); !ok || id.Name != "_" {
			return false
		}
	}
	return true
}

// checkCalls finds, in the function named fn, itself or through a
// function of the program it calls, a call of one of names: with inLoop,
// only one inside a for or range loop, wherever that loop runs (a
// goroutine fn starts that accepts in a loop still serves forever in fn's
// process). Without, a call fn defers, runs with go or hands on in a
// function literal does not count: fn does not wait for it there.
func checkCalls(files []srcFile, fn string, names []string, inLoop bool) *violation {
	funcs := programFuncs(files)
	return inFunc(files, fn, func(f *srcFile, fd *ast.FuncDecl) *violation {
		var bad *ast.CallExpr
		var in *srcFile
		if inLoop {
			// A loop counts in fn and in the functions of the program it
			// calls, as a helper that accepts forever.
			seen := map[string]bool{fn: true}
			var walk func(g *srcFile, n ast.Node, loops int)
			walk = func(g *srcFile, n ast.Node, loops int) {
				ast.Inspect(n, func(m ast.Node) bool {
					if bad != nil || m == nil {
						return false
					}
					switch x := m.(type) {
					case *ast.ForStmt:
						if m != n {
							walk(g, x.Body, loops+1)
							return false
						}
					case *ast.RangeStmt:
						if m != n {
							walk(g, x.Body, loops+1)
							return false
						}
					case *ast.CallExpr:
						if slices.Contains(names, calleeName(x)) && loops > 0 {
							bad, in = x, g
						}
						if id, ok := x.Fun.(*ast.Ident); ok && !seen[id.Name] {
							if h, ok := funcs[id.Name]; ok {
								seen[id.Name] = true
								walk(h.f, h.fd.Body, loops)
							}
						}
					}
					return true
				})
			}
			walk(f, fd.Body, 0)
		} else {
			funcs.walk(fd.Body, f, map[string]bool{fn: true}, calls(func(g *srcFile, c *ast.CallExpr) bool {
				if slices.Contains(names, calleeName(c)) {
					bad, in = c, g
				}
				return bad == nil
			}))
		}
		if bad == nil {
			return nil
		}
		l := in.at(bad)
		why := i18n.M("%s:%d: %s calls %s", in.path, l.N, fn, calleeName(bad))
		if inLoop {
			why = i18n.M("%s:%d: %s calls %s in a loop", in.path, l.N, fn, calleeName(bad))
		}
		return &violation{why: why, lines: []Line{l}, file: in.path}
	})
}

// progFunc is one of the program's own functions.
type progFunc struct {
	f  *srcFile
	fd *ast.FuncDecl
}

// progFuncs are the program's top-level functions (not methods), by name.
type progFuncs map[string]progFunc

func programFuncs(files []srcFile) progFuncs {
	funcs := progFuncs{}
	for i := range files {
		for _, d := range files[i].file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != nil {
				funcs[fd.Name.Name] = progFunc{&files[i], fd}
			}
		}
	}
	return funcs
}

// walk visits the nodes of n, in f, that run when n runs: a statement run
// by go or defer is skipped, and so is a function literal, unless it is
// called on the spot (one handed to wg.Go or kept for later runs
// elsewhere); unless seen is nil, a call of one of the program's functions
// is followed into its body, once per function. It stops when visit
// returns false, and returns false then.
func (funcs progFuncs) walk(n ast.Node, f *srcFile, seen map[string]bool, visit func(f *srcFile, n ast.Node) bool) bool {
	goOn := true
	ast.Inspect(n, func(m ast.Node) bool {
		if !goOn || m == nil {
			return false
		}
		switch m.(type) {
		case *ast.GoStmt, *ast.DeferStmt, *ast.FuncLit:
			return false
		}
		if goOn = visit(f, m); !goOn {
			return false
		}
		if x, ok := m.(*ast.CallExpr); ok {
			switch fn := x.Fun.(type) {
			case *ast.FuncLit:
				goOn = funcs.walk(fn.Body, f, seen, visit)
			case *ast.Ident:
				if g, ok := funcs[fn.Name]; ok && seen != nil && !seen[fn.Name] {
					seen[fn.Name] = true
					goOn = funcs.walk(g.fd.Body, g.f, seen, visit)
				}
			}
		}
		return goOn
	})
	return goOn
}

// calls adapts a visit of calls to walk.
func calls(visit func(f *srcFile, c *ast.CallExpr) bool) func(f *srcFile, n ast.Node) bool {
	return func(f *srcFile, n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		return !ok || visit(f, c)
	}
}

// inFunc applies check to every function named fn that has a body, and
// returns the first violation.
func inFunc(files []srcFile, fn string, check func(f *srcFile, fd *ast.FuncDecl) *violation) *violation {
	for i := range files {
		f := &files[i]
		for _, d := range f.file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != fn || fd.Body == nil {
				continue
			}
			if v := check(f, fd); v != nil {
				return v
			}
		}
	}
	return nil
}

// checkCallOrder finds, in the function named fn, a use of then (a call
// or a method value, as p.Start) that comes before every use of first as
// fn runs, itself or through a function of the program it calls (what it
// defers or runs with go is not part of that order); or a use of then
// with no use of first at all.
func checkCallOrder(files []srcFile, fn, first, then string) *violation {
	funcs := programFuncs(files)
	return inFunc(files, fn, func(f *srcFile, fd *ast.FuncDecl) *violation {
		var a, b ast.Node // the first uses of first and then
		var bf *srcFile   // the file of b
		aFirst := false   // a was met before b
		funcs.walk(fd.Body, f, map[string]bool{fn: true}, func(g *srcFile, n ast.Node) bool {
			name := ""
			switch x := n.(type) {
			case *ast.SelectorExpr:
				name = x.Sel.Name
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok {
					name = id.Name
				}
			}
			switch {
			case name == first && a == nil:
				a = n
			case name == then && b == nil:
				b, bf = n, g
				aFirst = a != nil
			}
			return a == nil || b == nil
		})
		if b == nil || aFirst {
			return nil
		}
		l := bf.at(b)
		if a == nil {
			return &violation{why: i18n.M("%s:%d: %s uses %s, and never %s", bf.path, l.N, fn, then, first), lines: []Line{l}, file: bf.path}
		}
		return &violation{why: i18n.M("%s:%d: %s uses %s before any %s", bf.path, l.N, fn, then, first), lines: []Line{l}, file: bf.path}
	})
}

// checkLoopCalls finds a loop whose body calls in (as an accept loop calls
// Accept) and, in the same iteration, one of calls: directly, or through a
// function of the program that the body calls by name. A call run by go
// or defer does not count, since it does not hold the loop up: a
// goroutine that joins each child is no wait of the accept loop.
func checkLoopCalls(files []srcFile, in string, names []string) *violation {
	funcs := programFuncs(files)
	var found *violation
	for i := range files {
		f := &files[i]
		ast.Inspect(f.file, func(n ast.Node) bool {
			if found != nil {
				return false
			}
			var body *ast.BlockStmt
			switch x := n.(type) {
			case *ast.ForStmt:
				body = x.Body
			case *ast.RangeStmt:
				body = x.Body
			default:
				return true
			}
			calls1 := false // the body calls in itself
			funcs.walk(body, f, nil, calls(func(_ *srcFile, c *ast.CallExpr) bool {
				calls1 = calleeName(c) == in
				return !calls1
			}))
			if !calls1 {
				return true
			}
			funcs.walk(body, f, map[string]bool{}, calls(func(g *srcFile, c *ast.CallExpr) bool {
				if !slices.Contains(names, calleeName(c)) {
					return true
				}
				l := g.at(c)
				found = &violation{why: i18n.M("%s:%d: %s holds up the loop that calls %s (line %d)", g.path, l.N, calleeName(c), in, f.at(n).N), lines: []Line{l}, file: g.path}
				return false
			}))
			return found == nil
		})
		if found != nil {
			return found
		}
	}
	return nil
}
