package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// formats returns every message format passed to T, M and Plural in the
// Go files below root, and the places where a format is not a literal.
func formats(t *testing.T, root string) (map[string]string, []string) {
	t.Helper()
	found := map[string]string{}
	var computed []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "i18n" {
				return true
			}
			var at []int
			switch sel.Sel.Name {
			case "T":
				at = []int{1}
			case "M":
				at = []int{0}
			case "Plural":
				at = []int{1, 2}
			default:
				return true
			}
			for _, i := range at {
				if i >= len(call.Args) {
					continue
				}
				lit, ok := call.Args[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					computed = append(computed, fset.Position(call.Pos()).String())
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				found[s] = fset.Position(call.Pos()).String()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, computed
}

func moduleRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
	}
}

// TestEveryMessageIsTranslated reads every Go file of the module for the
// formats given to T, M and Plural: each must be a literal and have its
// Chinese, with the same verbs in the same order.
func TestEveryMessageIsTranslated(t *testing.T) {
	found, computed := formats(t, moduleRoot(t))
	if len(found) < 50 {
		t.Fatalf("found %d message formats; the scan is broken", len(found))
	}
	for _, at := range computed {
		t.Errorf("%s: the format is not a string literal; write it at the call so that it can be checked", at)
	}
	for f, at := range found {
		z, ok := zh[f]
		if !ok {
			t.Errorf("%s: no Chinese for %q; add it to internal/i18n/zh.go", at, f)
			continue
		}
		if got, want := verbs(z), verbs(f); got != want {
			t.Errorf("%s: the Chinese of %q has the verbs %q; want %q", at, f, got, want)
		}
	}
	for f := range zh {
		if _, ok := found[f]; !ok {
			t.Errorf("internal/i18n/zh.go: %q is used by no message; remove it", f)
		}
	}
}

// verbs lists a format's verbs by the argument each formats, as
// "1:%s 2:%d", so that a translation may reorder them with %[n]s.
func verbs(f string) string {
	var out []string
	arg := 1
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		j := i + 1
		if j < len(f) && f[j] == '%' {
			i = j
			continue
		}
		for j < len(f) && strings.IndexByte("+-# 0123456789.", f[j]) >= 0 {
			j++
		}
		if j < len(f) && f[j] == '[' {
			k := strings.IndexByte(f[j:], ']')
			if k > 0 {
				if n, err := strconv.Atoi(f[j+1 : j+k]); err == nil {
					arg = n
				}
				j += k + 1
			}
		}
		if j < len(f) {
			out = append(out, fmt.Sprintf("%d:%c", arg, f[j]))
			arg++
		}
		i = j
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestMsgIn(t *testing.T) {
	zh["test: want %s %d"] = "测试：应为%s %d"
	zh["at least"] = "至少"
	defer delete(zh, "test: want %s %d")
	defer delete(zh, "at least")
	m := M("test: want %s %d", M("at least"), 3)
	if got, want := m.In(En), "test: want at least 3"; got != want {
		t.Errorf("In(en) = %q; want %q", got, want)
	}
	if got, want := m.In(Zh), "测试：应为至少 3"; got != want {
		t.Errorf("In(zh) = %q; want %q", got, want)
	}
	if got, want := Plural(1, "%d line", "%d lines").In(En), "1 line"; got != want {
		t.Errorf("Plural(1) = %q; want %q", got, want)
	}
	if got, want := Plural(2, "%d `%s` event", "%d `%s` events", "x").In(En), "2 `x` events"; got != want {
		t.Errorf("Plural(2) = %q; want %q", got, want)
	}
	if got, want := M("%s", Join("; ", []Msg{M("at least"), M("b")})).In(Zh), "至少; b"; got != want {
		t.Errorf("Join in zh = %q; want %q", got, want)
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"", nil, En},
		{"", map[string]string{"LANG": "zh_CN.UTF-8"}, Zh},
		{"", map[string]string{"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, En},
		{"", map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_TW.UTF-8"}, Zh},
		{"", map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"}, Zh},
		{"en", map[string]string{"LANG": "zh_CN.UTF-8"}, En},
		{"zh", nil, Zh},
	} {
		got, err := Detect(tc.flag, func(k string) string { return tc.env[k] })
		if err != nil || got != tc.want {
			t.Errorf("Detect(%q, %v) = %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}
	if _, err := Detect("fr", os.Getenv); err == nil {
		t.Error(`Detect("fr") = nil error; want one naming the choices`)
	}
}
