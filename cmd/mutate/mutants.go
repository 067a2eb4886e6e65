package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Mutant is a wrong program derived mechanically from a reference
// solution by one small change.
type Mutant struct {
	// Name is stable for as long as the solution does not change: the
	// operator, then @file:line of the solution (two lines for a swap),
	// as in delete-Join@main.go:42 or swap@main.go:30-31. exercise.json's
	// equivalent list names mutants this way.
	Name string
	Op   string // delete-CALL, start-run, swap, flip-Daemon or drop-lock
	Src  []byte // the whole mutated file, gofmt-ed
}

// The calls whose statement a delete mutant removes: each one undoes
// something a lesson is about (waiting for a child, giving a lock back,
// closing a copy, marking an item done, the exit handler).
var deleted = []string{"Join", "JoinTimeout", "Release", "Unlock", "Close", "TaskDone", "Finish"}

// locks pairs each locking call with the call that undoes it.
var locks = map[string]string{"Lock": "Unlock", "Acquire": "Release"}

// edit replaces src[from:to] with text.
type edit struct {
	from, to int
	text     string
}

// source is a parsed file with what the operators need to make edits.
type source struct {
	name    string // the file's name, as in main.go
	src     []byte
	fset    *token.FileSet
	file    *ast.File
	imports map[string]bool // the names imported packages go by
}

func parse(name string, src []byte) (*source, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	s := &source{name: name, src: src, fset: fset, file: f, imports: map[string]bool{}}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		n := p[strings.LastIndex(p, "/")+1:]
		if strings.HasPrefix(n, "v") && strings.Contains(p, "/") && isDigits(n[1:]) {
			// math/rand/v2 goes by rand
			q := strings.TrimSuffix(p, "/"+n)
			n = q[strings.LastIndex(q, "/")+1:]
		}
		if im.Name != nil {
			n = im.Name.Name
		}
		s.imports[n] = true
	}
	return s, nil
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (s *source) off(p token.Pos) int    { return s.fset.Position(p).Offset }
func (s *source) line(p token.Pos) int   { return s.fset.Position(p).Line }
func (s *source) text(n ast.Node) string { return string(s.src[s.off(n.Pos()):s.off(n.End())]) }

func (s *source) at(p token.Pos) string { return fmt.Sprintf("@%s:%d", s.name, s.line(p)) }

// Mutants returns every mutant of the file, in the order of the file and
// of the operators, each name once. A mutant whose text equals the
// original (a swap of two identical statements) is left out.
func Mutants(name string, src []byte) ([]Mutant, error) {
	s, err := parse(name, src)
	if err != nil {
		return nil, err
	}
	type cand struct {
		name, op string
		edits    []edit
	}
	var cs []cand
	add := func(op string, name string, edits ...edit) {
		cs = append(cs, cand{name, op, edits})
	}
	statementLists(s.file, func(list []ast.Stmt) {
		for i, st := range list {
			if call, callee := s.deletable(st); call != nil {
				op := "delete-" + callee
				add(op, op+s.at(st.Pos()), edit{s.off(st.Pos()), s.off(st.End()), s.keepUsed(call)})
			}
			if r, unlock, ok := s.locking(st); ok {
				// drop the lock with the first matching unlock after it, in
				// this list or deferred
				edits := []edit{{s.off(st.Pos()), s.off(st.End()), "_ = " + r}}
				for _, later := range list[i+1:] {
					if s.unlocks(later, r, unlock) {
						edits = append(edits, edit{s.off(later.Pos()), s.off(later.End()), "_ = " + r})
						break
					}
				}
				add("drop-lock", "drop-lock"+s.at(st.Pos()), edits...)
			}
			if i+1 < len(list) && s.swappable(st, list[i+1]) {
				a, b := st, list[i+1]
				name := fmt.Sprintf("swap@%s:%d-%d", s.name, s.line(a.Pos()), s.line(b.Pos()))
				add("swap", name,
					edit{s.off(a.Pos()), s.off(a.End()), s.text(b)},
					edit{s.off(b.Pos()), s.off(b.End()), s.text(a)})
			}
		}
	})
	ast.Inspect(s.file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			if x.Sel.Name == "Start" {
				if _, isCall := s.parentCall(x); isCall {
					add("start-run", "start-run"+s.at(x.Sel.Pos()), edit{s.off(x.Sel.Pos()), s.off(x.Sel.End()), "Run"})
				}
			}
		case *ast.AssignStmt:
			if len(x.Lhs) == 1 && len(x.Rhs) == 1 {
				if sel, ok := x.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Daemon" {
					if e, ok := flipBool(x.Rhs[0]); ok {
						add("flip-Daemon", "flip-Daemon"+s.at(x.Pos()), edit{s.off(x.Rhs[0].Pos()), s.off(x.Rhs[0].End()), e})
					}
				}
			}
		case *ast.KeyValueExpr:
			if k, ok := x.Key.(*ast.Ident); ok && k.Name == "Daemon" {
				if e, ok := flipBool(x.Value); ok {
					add("flip-Daemon", "flip-Daemon"+s.at(x.Pos()), edit{s.off(x.Value.Pos()), s.off(x.Value.End()), e})
				}
			}
		}
		return true
	})

	var out []Mutant
	seen := map[string]int{}
	for _, c := range cs {
		b := apply(src, c.edits)
		if bytes.Equal(b, src) {
			continue
		}
		if f, err := format.Source(b); err == nil {
			b = f
		} else {
			// not Go any more: keep it, the compiler will say so
		}
		if bytes.Equal(b, src) {
			continue
		}
		name := c.name
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s#%d", name, seen[name])
		}
		out = append(out, Mutant{Name: name, Op: c.op, Src: b})
	}
	return out, nil
}

func apply(src []byte, edits []edit) []byte {
	es := slices.Clone(edits)
	sort.Slice(es, func(i, j int) bool { return es[i].from > es[j].from })
	b := slices.Clone(src)
	for _, e := range es {
		b = append(b[:e.from:e.from], append([]byte(e.text), b[e.to:]...)...)
	}
	return b
}

func flipBool(e ast.Expr) (string, bool) {
	id, ok := e.(*ast.Ident)
	switch {
	case !ok:
		return "", false
	case id.Name == "true":
		return "false", true
	case id.Name == "false":
		return "true", true
	}
	return "", false
}

// statementLists calls f with every list of statements below root: a
// block's, a case's, a select case's; but not the block of an
// `if err != nil`, which runs only when a call fails, as the grader never
// makes an mp call do: a change there could never be told apart.
func statementLists(root ast.Node, f func([]ast.Stmt)) {
	ast.Inspect(root, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.IfStmt:
			if errorBranch(x.Cond) {
				if x.Else != nil {
					statementLists(x.Else, f)
				}
				return false
			}
		case *ast.BlockStmt:
			f(x.List)
		case *ast.CaseClause:
			f(x.Body)
		case *ast.CommClause:
			f(x.Body)
		}
		return true
	})
}

// errorBranch reports whether cond is `err != nil` (any name holding err).
func errorBranch(cond ast.Expr) bool {
	b, ok := cond.(*ast.BinaryExpr)
	if !ok || b.Op != token.NEQ {
		return false
	}
	id, ok := b.X.(*ast.Ident)
	nilID, ok2 := b.Y.(*ast.Ident)
	return ok && ok2 && nilID.Name == "nil" && strings.Contains(strings.ToLower(id.Name), "err")
}

// parentCall reports whether the selector is the function of a call.
func (s *source) parentCall(sel *ast.SelectorExpr) (*ast.CallExpr, bool) {
	var found *ast.CallExpr
	ast.Inspect(s.file, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		if c, ok := n.(*ast.CallExpr); ok && c.Fun == sel {
			found = c
		}
		return true
	})
	return found, found != nil
}

func calleeName(c *ast.CallExpr) string {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}

// deletable returns the call a statement exists for, if it is one of the
// deleted calls: x.Join(), defer x.Close(), _ = x.Release(),
// check(x.Close()), or if err := x.Join(); err != nil { ... }.
func (s *source) deletable(st ast.Stmt) (*ast.CallExpr, string) {
	var call *ast.CallExpr
	switch x := st.(type) {
	case *ast.ExprStmt:
		call, _ = x.X.(*ast.CallExpr)
		if call != nil && !slices.Contains(deleted, calleeName(call)) && len(call.Args) == 1 {
			// a wrapper such as check(x.Close())
			if inner, ok := call.Args[0].(*ast.CallExpr); ok {
				call = inner
			}
		}
	case *ast.DeferStmt:
		call = x.Call
	case *ast.AssignStmt:
		if len(x.Rhs) == 1 && allBlank(x.Lhs) {
			call, _ = x.Rhs[0].(*ast.CallExpr)
		}
	case *ast.IfStmt:
		if as, ok := x.Init.(*ast.AssignStmt); ok && len(as.Rhs) == 1 && x.Else == nil {
			call, _ = as.Rhs[0].(*ast.CallExpr)
		}
	}
	if call == nil || !slices.Contains(deleted, calleeName(call)) {
		return nil, ""
	}
	return call, calleeName(call)
}

func allBlank(es []ast.Expr) bool {
	for _, e := range es {
		if id, ok := e.(*ast.Ident); !ok || id.Name != "_" {
			return false
		}
	}
	return true
}

// keepUsed returns the statement that replaces a deleted call: `_ = x` for
// a call on a variable x, so that a loop variable used only by the call
// still compiles; nothing for a package function such as mp.Finish.
func (s *source) keepUsed(call *ast.CallExpr) string {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if id, ok := sel.X.(*ast.Ident); ok && s.imports[id.Name] {
		return ""
	}
	return "_ = " + s.text(sel.X)
}

// locking reports whether st is x.Lock() or x.Acquire(), with x's text and
// the call that undoes it.
func (s *source) locking(st ast.Stmt) (recv, unlock string, ok bool) {
	es, isExpr := st.(*ast.ExprStmt)
	if !isExpr {
		return "", "", false
	}
	call, _ := es.X.(*ast.CallExpr)
	if call == nil {
		return "", "", false
	}
	sel, _ := call.Fun.(*ast.SelectorExpr)
	if sel == nil {
		return "", "", false
	}
	u, ok := locks[sel.Sel.Name]
	if !ok {
		return "", "", false
	}
	return s.text(sel.X), u, true
}

// unlocks reports whether st is recv.unlock(), deferred or not.
func (s *source) unlocks(st ast.Stmt, recv, unlock string) bool {
	var call *ast.CallExpr
	switch x := st.(type) {
	case *ast.ExprStmt:
		call, _ = x.X.(*ast.CallExpr)
	case *ast.DeferStmt:
		call = x.Call
	}
	if call == nil {
		return false
	}
	sel, _ := call.Fun.(*ast.SelectorExpr)
	return sel != nil && sel.Sel.Name == unlock && s.text(sel.X) == recv
}

// swappable reports whether swapping a and b can still compile and can
// make a difference: neither declares anything (a declaration and its
// uses cannot trade places), neither is a return or a branch, a case or a
// defer, and a := is not followed by a use of what it defines.
func (s *source) swappable(a, b ast.Stmt) bool {
	for _, st := range []ast.Stmt{a, b} {
		switch x := st.(type) {
		case *ast.DeclStmt, *ast.ReturnStmt, *ast.BranchStmt, *ast.LabeledStmt, *ast.EmptyStmt:
			return false
		case *ast.CaseClause, *ast.CommClause:
			// the order of cases matters only when two can match
			return false
		case *ast.DeferStmt:
			// a deferred call runs when the function returns, wherever it
			// stands: moving it by one statement changes nothing unless
			// that statement ends the function
			return false
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE && st == a && uses(b, defined(x)) {
				return false
			}
		}
	}
	return s.text(a) != s.text(b)
}

func defined(as *ast.AssignStmt) map[string]bool {
	names := map[string]bool{}
	for _, l := range as.Lhs {
		if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
			names[id.Name] = true
		}
	}
	return names
}

func uses(n ast.Node, names map[string]bool) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if id, ok := m.(*ast.Ident); ok && names[id.Name] {
			found = true
		}
		return !found
	})
	return found
}

// diff returns the lines that differ between a and b, as "- N: text"
// and "+ N: text" lines (N the line's number in a or b), from a longest
// common subsequence of lines: a swap shows as the one line that moved.
func diff(a, b []byte) string {
	al := strings.Split(string(a), "\n")
	bl := strings.Split(string(b), "\n")
	// lcs[i][j] is the length of the longest common subsequence of al[i:]
	// and bl[j:]; the files are a few hundred lines at most.
	lcs := make([][]int, len(al)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(bl)+1)
	}
	for i := len(al) - 1; i >= 0; i-- {
		for j := len(bl) - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	n := 0
	line := func(sign string, k int, text string) {
		if n++; n <= 12 {
			fmt.Fprintf(&out, "%s %d: %s\n", sign, k, strings.TrimSpace(text))
		}
	}
	i, j := 0, 0
	for i < len(al) || j < len(bl) {
		switch {
		case i < len(al) && j < len(bl) && al[i] == bl[j]:
			i++
			j++
		case i < len(al) && (j == len(bl) || lcs[i+1][j] >= lcs[i][j+1]):
			line("-", i+1, al[i])
			i++
		default:
			line("+", j+1, bl[j])
			j++
		}
	}
	if n > 12 {
		fmt.Fprintf(&out, "... (%d more changed lines)\n", n-12)
	}
	return out.String()
}
