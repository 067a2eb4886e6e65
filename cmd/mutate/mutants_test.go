package main

import (
	"go/parser"
	"go/token"
	"slices"
	"strings"
	"testing"
)

const sample = `package main

import (
	"sync"

	"github.com/forklore/forklore/mp"
)

var mu sync.Mutex

func work(l *mp.Lock) {
	l.Acquire()
	defer l.Release()
	mu.Lock()
	n := 1
	mu.Unlock()
	_ = n
}

func main() {
	mp.Main(work)
	defer mp.Finish()
	l := mp.NewLock()
	p := mp.NewProcess(work, l)
	p.Daemon = true
	if err := p.Start(); err != nil {
		return
	}
	for _, q := range []*mp.Process{p} {
		q.Join()
	}
	if err := p.Join(); err != nil {
		return
	}
}

func fail(err error) {
	if err != nil {
		mp.Finish()
		panic(err)
	}
}
`

func TestMutantsNamesEveryOperator(t *testing.T) {
	ms, err := Mutants("main.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	want := []string{
		"drop-lock@main.go:12",
		"delete-Release@main.go:13",
		"drop-lock@main.go:14",
		"delete-Unlock@main.go:16",
		"delete-Finish@main.go:22",
		"flip-Daemon@main.go:25",
		"start-run@main.go:26",
		"delete-Join@main.go:30",
		"delete-Join@main.go:32",
		"swap@main.go:29-32",
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("Mutants(sample) has no %s; got %q", w, names)
		}
	}
	for _, bad := range []string{
		// declarations and their uses never trade places
		"swap@main.go:23-24", "swap@main.go:24-25",
		// a deferred call runs at return wherever it stands
		"swap@main.go:21-22", "swap@main.go:12-13",
		// an error branch never runs in a grading
		"delete-Finish@main.go:39", "swap@main.go:39-40",
	} {
		if slices.Contains(names, bad) {
			t.Errorf("Mutants(sample) has %s; want none", bad)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
		t.Errorf("Mutants(sample) names are not unique: %q", names)
	}
}

func TestMutantsStayGo(t *testing.T) {
	ms, err := Mutants("main.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if _, err := parser.ParseFile(token.NewFileSet(), "main.go", m.Src, 0); err != nil {
			t.Errorf("mutant %s does not parse: %v\n%s", m.Name, err, m.Src)
		}
		if string(m.Src) == sample {
			t.Errorf("mutant %s is the sample itself", m.Name)
		}
	}
}

func TestMutantEdits(t *testing.T) {
	ms, err := Mutants("main.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	find := func(name string) string {
		for _, m := range ms {
			if m.Name == name {
				return string(m.Src)
			}
		}
		t.Fatalf("no mutant %s", name)
		return ""
	}
	tests := []struct {
		mutant       string
		gone, wanted []string
	}{
		// a loop variable used only by the deleted call stays used
		{"delete-Join@main.go:30", []string{"q.Join()"}, []string{"_ = q"}},
		{"delete-Join@main.go:32", []string{"err := p.Join()"}, []string{"_ = p"}},
		// a package function leaves nothing behind
		{"delete-Finish@main.go:22", []string{"defer mp.Finish()"}, nil},
		// the lock goes with its deferred release
		{"drop-lock@main.go:12", []string{"l.Acquire()", "l.Release()"}, []string{"_ = l"}},
		{"drop-lock@main.go:14", []string{"mu.Lock()", "mu.Unlock()"}, nil},
		{"flip-Daemon@main.go:25", []string{"p.Daemon = true"}, []string{"p.Daemon = false"}},
		{"start-run@main.go:26", []string{"p.Start()"}, []string{"p.Run()"}},
	}
	for _, tt := range tests {
		src := find(tt.mutant)
		for _, g := range tt.gone {
			if strings.Contains(src, g) {
				t.Errorf("mutant %s still has %q", tt.mutant, g)
			}
		}
		for _, w := range tt.wanted {
			if !strings.Contains(src, w) {
				t.Errorf("mutant %s has no %q", tt.mutant, w)
			}
		}
	}
	swapped := find("swap@main.go:29-32")
	if strings.Index(swapped, "err := p.Join()") > strings.Index(swapped, "range []*mp.Process{p}") {
		t.Errorf("swap@main.go:29-32 did not swap:\n%s", swapped)
	}
}

func TestDiffShowsAMovedLine(t *testing.T) {
	a := "a\nb\nc\nd\n"
	b := "a\nc\nd\nb\n"
	got := diff([]byte(a), []byte(b))
	want := "- 2: b\n+ 4: b\n"
	if got != want {
		t.Errorf("diff = %q; want %q", got, want)
	}
}
