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

// TestSourceDropped: errors finds a call whose error is dropped, results
// one whose first result is.
func TestSourceDropped(t *testing.T) {
	for _, tc := range []struct {
		check string
		call  string
		body  string
		line  int // 0: no violation
	}{
		{"errors", "Start", "if err := p.Start(); err != nil { panic(err) }", 0},
		{"errors", "Start", "err := p.Start()\n_ = err", 0},
		{"errors", "Start", "p.Start()", 4},
		{"errors", "Start", "_ = p.Start()", 4},
		{"errors", "Start", "defer p.Start()", 4},
		{"errors", "Start", "go p.Start()", 4},
		{"errors", "Start", "p.Join()", 0},
		{"errors", "JoinTimeout", "_, err := p.JoinTimeout(d)\n_ = err", 0},
		// kept in a variable that nothing reads before it is lost
		{"errors", "Start", "err := p.Start()\nfmt.Println(mp.ErrStartedTwice)", 4},
		{"errors", "Start", "var err error\nfor _, p := range ps {\nerr = p.Start()\n}\nif err != nil { panic(err) }", 6},
		{"errors", "Start", "var err error\nfor _, p := range ps {\nif err = p.Start(); err != nil { break }\n}\nif err != nil { panic(err) }", 0},
		{"errors", "Start", "var err error\nfor i := 0; err == nil && i < len(ps); i++ {\nerr = ps[i].Start()\n}", 0},
		{"errors", "Start", "var errs []error\nfor _, p := range ps {\nerrs = append(errs, p.Start())\n}\nfmt.Println(errs)", 0},
		{"results", "JoinTimeout", "if ok, _ := p.JoinTimeout(d); !ok { panic(1) }", 0},
		{"results", "JoinTimeout", "for ok := false; !ok; { ok, _ = p.JoinTimeout(d) }", 0},
		{"results", "JoinTimeout", "p.JoinTimeout(d)", 4},
		{"results", "JoinTimeout", "_, err := p.JoinTimeout(d)\n_ = err", 4},
		{"results", "JoinTimeout", "_, _ = p.JoinTimeout(d)", 4},
		{"results", "JoinTimeout", "defer p.JoinTimeout(d)", 4},
		{"results", "JoinTimeout", "p.Join()", 0},
	} {
		src := "package main\n\nfunc main() {\n" + tc.body + "\n}\n"
		check := checkErrorsUsed
		if tc.check == "results" {
			check = checkResultsUsed
		}
		v := check(parseSrc(t, src), []string{tc.call})
		switch {
		case tc.line == 0 && v != nil:
			t.Errorf("%s %s on %q = %q; want no violation", tc.check, tc.call, tc.body, v.why)
		case tc.line != 0 && (v == nil || v.lines[0].N != tc.line):
			t.Errorf("%s %s on %q = %+v; want a violation at line %d", tc.check, tc.call, tc.body, v, tc.line)
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
	// noloop follows serveOne into the program's functions: a helper that
	// accepts in a loop serves forever all the same.
	helper := parseSrc(t, "package main\n\nfunc serveOne() {\n\tacceptLoop()\n}\n\nfunc acceptLoop() {\n\tfor {\n\t\tln.Accept()\n\t}\n}\n")
	if v := checkCalls(helper, "serveOne", []string{"Accept"}, true); v == nil || v.lines[0].N != 9 {
		t.Errorf("noloop serveOne Accept through acceptLoop = %+v; want line 9", v)
	}
	inGoroutine := parseSrc(t, "package main\n\nfunc serveOne() {\n\tgo func() {\n\t\tfor {\n\t\t\tln.Accept()\n\t\t}\n\t}()\n}\n")
	if v := checkCalls(inGoroutine, "serveOne", []string{"Accept"}, true); v == nil || v.lines[0].N != 6 {
		t.Errorf("noloop serveOne Accept in a goroutine's loop = %+v; want line 6", v)
	}
	if v := checkCalls(fs, "main", []string{"Sleep", "Join"}, false); v == nil || v.lines[0].N != 18 {
		t.Errorf("nocall main Sleep Join = %+v; want line 18", v)
	}
	if v := checkCalls(fs, "main", []string{"Join"}, false); v != nil {
		t.Errorf("nocall main Join = %q; want none", v.why)
	}
	// nocall follows main into the program's functions, but not into what
	// main defers or runs with go: main does not wait for those there.
	for _, tc := range []struct {
		body string
		line int // 0: no violation
	}{
		{"launch()\nfmt.Println()", 14},
		{"defer settle()\nfmt.Println()", 0},
		{"go settle()\nfmt.Println()", 0},
		{"for _, p := range ps {\ndefer p.Join()\n}", 0},
		{"wg.Go(func() { start() })\nwg.Wait()", 0},
		{"func() { settle() }()", 17},
		{"fmt.Println()", 0},
	} {
		src := "package main\n\nfunc main() {\n" + tc.body + "\n}\n" + `
func launch() {
	start()
}

func start() {
	p.Start()
	time.Sleep(1)
}

func settle() {
	p.Join()
}
`
		v := checkCalls(parseSrc(t, src), "main", []string{"Sleep", "Join"}, false)
		switch {
		case tc.line == 0 && v != nil:
			t.Errorf("nocall main Sleep Join on %q = %q; want no violation", tc.body, v.why)
		case tc.line != 0 && (v == nil || v.lines[0].N != tc.line):
			t.Errorf("nocall main Sleep Join on %q = %+v; want a violation at line %d", tc.body, v, tc.line)
		}
	}
}

func TestSourceBefore(t *testing.T) {
	for _, tc := range []struct {
		body string
		line int // 0: no violation
	}{
		{"p.Run()\np.Start()\np.Start()", 0},
		{"for _, f := range []func() error{p.Run, p.Start} { f() }", 0},
		{"p.Start()\np.Run()", 4},
		{"p.Start()", 4},
		{"fmt.Println()", 0},
		// through a function of the program, in the order main runs them
		{"launch(p)\np.Run()\np.Start()", 10},
		{"p.Run()\nlaunch(p)", 0},
		{"go p.Run()\np.Start()", 5},
	} {
		src := "package main\n\nfunc main() {\n" + tc.body + "\n}\n\nfunc launch(p *mp.Process) {\n\tp.Start()\n}\n"
		v := checkCallOrder(parseSrc(t, src), "main", "Run", "Start")
		switch {
		case tc.line == 0 && v != nil:
			t.Errorf("before main Run Start on %q = %q; want no violation", tc.body, v.why)
		case tc.line != 0 && (v == nil || v.lines[0].N != tc.line):
			t.Errorf("before main Run Start on %q = %+v; want a violation at line %d", tc.body, v, tc.line)
		}
	}
}

// TestSourceInLoop: inloop finds a wait in the loop that accepts, also
// through a function of the program, but not one run by go or defer, nor
// one in another loop.
func TestSourceInLoop(t *testing.T) {
	const helpers = `
func serve(p *mp.Process) {
	p.Start()
	p.Join()
}

func reap(p *mp.Process) { p.Join() }
`
	for _, tc := range []struct {
		body string
		line int // 0: no violation
	}{
		{"for {\nc, _ := ln.Accept()\np := mp.NewProcess(h, c)\np.Start()\nc.Close()\n}", 0},
		{"for {\nc, _ := ln.Accept()\np := mp.NewProcess(h, c)\np.Start()\np.Join()\n}", 8},
		{"for {\nc, _ := ln.Accept()\np := mp.NewProcess(h, c)\np.Start()\nif ok, _ := p.JoinTimeout(d); ok {\n}\n}", 8},
		{"for {\nc, _ := ln.Accept()\np := mp.NewProcess(h, c)\np.Start()\ngo p.Join()\n}", 0},
		{"for {\nc, _ := ln.Accept()\np := mp.NewProcess(h, c)\np.Start()\ngo reap(p)\ndefer p.Join()\n}", 0},
		{"for {\nc, _ := ln.Accept()\nserve(mp.NewProcess(h, c))\n}", 12},
		{"for _, p := range ps {\np.Join()\n}\nfor {\nln.Accept()\n}", 0},
		{"for {\nfor {\nln.Accept()\n}\nreap(p)\n}", 17},
	} {
		src := "package main\n\nfunc main() {\n" + tc.body + "\n}\n" + helpers
		v := checkLoopCalls(parseSrc(t, src), "Accept", []string{"Join", "JoinTimeout"})
		switch {
		case tc.line == 0 && v != nil:
			t.Errorf("inloop Accept Join on %q = %q; want no violation", tc.body, v.why.In("en"))
		case tc.line != 0 && (v == nil || v.lines[0].N != tc.line):
			t.Errorf("inloop Accept Join on %q = %+v; want a violation at line %d", tc.body, v, tc.line)
		}
	}
}
