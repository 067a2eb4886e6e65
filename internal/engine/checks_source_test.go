package engine

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func parseSrc(t *testing.T, src string) []srcFile {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lines []Line
	for i, l := range strings.Split(src, "\n") {
		lines = append(lines, Line{N: i + 1, Text: l})
	}
	return []srcFile{{path: "exercises/x/main.go", fset: fset, file: f, lines: lines}}
}

func TestSourceErrors(t *testing.T) {
	for _, tc := range []struct {
		body string
		line int // 0: no violation
	}{
		{"if err := p.Start(); err != nil { panic(err) }", 0},
		{"err := p.Start()\n_ = err", 0},
		{"p.Start()", 4},
		{"_ = p.Start()", 4},
		{"defer p.Start()", 4},
		{"go p.Start()", 4},
		{"p.Join()", 0},
	} {
		src := "package main\n\nfunc main() {\n" + tc.body + "\n}\n"
		v := checkErrorsUsed(parseSrc(t, src), []string{"Start"})
		switch {
		case tc.line == 0 && v != nil:
			t.Errorf("errors Start on %q = %q; want no violation", tc.body, v.why)
		case tc.line != 0 && (v == nil || v.lines[0].N != tc.line):
			t.Errorf("errors Start on %q = %+v; want a violation at line %d", tc.body, v, tc.line)
		}
	}
}

func TestSourceCalls(t *testing.T) {
	src := `package main

func serveOne() {
	c := ln.Accept()
	for {
		handle(c)
	}
}

func serveAll() {
	for {
		c, _ := ln.Accept()
		go handle(c)
	}
}

func main() {
	time.Sleep(1)
}
`
	fs := parseSrc(t, src)
	if v := checkCalls(fs, "serveOne", []string{"Accept"}, true); v != nil {
		t.Errorf("noloop serveOne Accept = %q; want none", v.why)
	}
	if v := checkCalls(fs, "serveAll", []string{"Accept"}, true); v == nil || v.lines[0].N != 12 {
		t.Errorf("noloop serveAll Accept = %+v; want line 12", v)
	}
	if v := checkCalls(fs, "main", []string{"Sleep", "Join"}, false); v == nil || v.lines[0].N != 18 {
		t.Errorf("nocall main Sleep Join = %+v; want line 18", v)
	}
	if v := checkCalls(fs, "main", []string{"Join"}, false); v != nil {
		t.Errorf("nocall main Join = %q; want none", v.why)
	}
}
