package mp

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// A target is what a process runs: a top-level function, or a value whose
// type has a Run method. Targets are registered by name, never by code
// address, because a child is a new execution of the binary: the name is
// what both processes agree on.

// runner is the Go form of "subclass Process and override run".
type runner interface{ Run() }

// errRunner is a runner whose Run reports failure as an error.
type errRunner interface{ Run() error }

var registry struct {
	sync.Mutex
	byName  map[string]reflect.Value // a func value, or a zero value of a Run type
	pending []any                    // noted by a child's Main, named when looked up
}

// isClosureName reports whether name is one the compiler gives to function
// literals ("main.main.func1", "main.f.func2.3"), method values ("-fm")
// and go/defer wrappers. (No regexp: its package init would slow down the
// start of every child.)
func isClosureName(name string) bool {
	if strings.HasSuffix(name, "-fm") {
		return true
	}
	// Strip trailing ".N" groups, then look for a ".funcN", ".gowrapN" or
	// ".deferwrapN" suffix.
	for {
		i := strings.LastIndexByte(name, '.')
		if i < 0 || !allDigits(name[i+1:]) {
			break
		}
		name = name[:i]
	}
	// A literal is named after the function it is in: "pkg.outer.func1",
	// so a top-level func that happens to be called func1 is not one.
	name = name[strings.LastIndexByte(name, '/')+1:]
	i := strings.LastIndexByte(name, '.')
	if i < 0 || strings.IndexByte(name[:i], '.') < 0 {
		return false
	}
	last := name[i+1:]
	for _, p := range []string{"func", "gowrap", "deferwrap"} {
		if strings.HasPrefix(last, p) && allDigits(last[len(p):]) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// funcName returns the name the runtime knows a function value by.
func funcName(v reflect.Value) string {
	if f := runtime.FuncForPC(v.Pointer()); f != nil {
		return f.Name()
	}
	return ""
}

// targetKey names a target for the registry, or explains why it cannot be one.
func targetKey(target any) (string, error) {
	if target == nil {
		return "", fmt.Errorf("mp: the target is nil: pass a top-level function or a value whose type has a Run method")
	}
	v := reflect.ValueOf(target)
	if v.Kind() == reflect.Func {
		if v.IsNil() {
			return "", fmt.Errorf("mp: the target is a nil function")
		}
		name := funcName(v)
		if isClosureName(name) {
			return "", &misuse{fmt.Sprintf("mp: the target %s is a function literal or method value, which a new process cannot receive (as Python's spawn cannot pickle a lambda): make it a top-level func, pass it to mp.Main, and give it its data as arguments", name), ErrNotRegistered}
		}
		return name, nil
	}
	if _, ok := target.(runner); ok {
		return "type:" + typeName(v.Type()), nil
	}
	if _, ok := target.(errRunner); ok {
		return "type:" + typeName(v.Type()), nil
	}
	return "", fmt.Errorf("mp: a %T cannot be a target: pass a top-level function, or a value whose type has a Run() method", target)
}

func outList(t reflect.Type) string {
	var s []string
	for i := range t.NumOut() {
		s = append(s, t.Out(i).String())
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// register records targets for mp.Main. It reports bad targets by panicking:
// they are programming errors found on the first run, and Main has no error
// result.
func register(targets []any) {
	registry.Lock()
	defer registry.Unlock()
	for _, t := range targets {
		key, err := targetKey(t)
		if err != nil {
			panic(err.Error() + " (in the arguments of mp.Main)")
		}
		addTarget(key, t)
	}
}

// noteTargets records targets without naming them yet: naming a function
// reads the binary's symbol table, which a child's start need not pay for
// every target when it runs one.
func noteTargets(targets []any) {
	registry.Lock()
	registry.pending = append(registry.pending, targets...)
	registry.Unlock()
}

// addTarget records a named target. registry must be locked.
func addTarget(key string, t any) reflect.Value {
	if registry.byName == nil {
		registry.byName = make(map[string]reflect.Value)
	}
	v := reflect.ValueOf(t)
	registry.byName[key] = v
	if v.Kind() == reflect.Func {
		for i := range v.Type().NumIn() {
			noteType(v.Type().In(i))
		}
	} else {
		noteType(v.Type())
	}
	return v
}

// nameAllTargets names every noted target, so that the types of their
// parameters are known to the type registry. It locks the registry, then
// (through noteType) the types: never call it with types locked.
func nameAllTargets() {
	registry.Lock()
	defer registry.Unlock()
	for _, t := range registry.pending {
		if k, err := targetKey(t); err == nil {
			addTarget(k, t)
		}
	}
	registry.pending = nil
}

// lookupTarget finds a registered target by key, naming the noted ones
// until it is found.
func lookupTarget(key string) (reflect.Value, bool) {
	registry.Lock()
	defer registry.Unlock()
	if v, ok := registry.byName[key]; ok {
		return v, true
	}
	for len(registry.pending) > 0 {
		t := registry.pending[0]
		registry.pending = registry.pending[1:]
		k, err := targetKey(t)
		if err != nil {
			continue // the parent reported it
		}
		if v := addTarget(k, t); k == key {
			return v, true
		}
	}
	return reflect.Value{}, false
}

// checkResults checks that a function target of a Process returns nothing
// or an error: a process has an exit code, not a result. (Pool tasks may
// return anything.)
func checkResults(target any) error {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Func {
		return nil
	}
	if t := v.Type(); t.NumOut() > 1 || (t.NumOut() == 1 && t.Out(0) != errorType) {
		return fmt.Errorf("mp: the target %s returns %s; a process's target returns nothing or an error (use a Pool to get results back)", funcName(v), outList(t))
	}
	return nil
}

// checkRegistered returns the key of target if a child can run it.
func checkRegistered(target any) (string, error) {
	key, err := targetKey(target)
	if err != nil {
		return "", err
	}
	if _, ok := lookupTarget(key); !ok {
		what := strings.TrimPrefix(key, "type:")
		example := what[strings.LastIndex(what, ".")+1:]
		if t := reflect.TypeOf(target); t.Kind() == reflect.Pointer {
			example = "&" + t.Elem().Name() + "{}"
		} else if t.Kind() != reflect.Func {
			example = t.Name() + "{}"
		}
		return "", &misuse{fmt.Sprintf("mp: the target %s is not registered: make mp.Main(%s, ...) the first statement of main", what, example), ErrNotRegistered}
	}
	return key, nil
}

// argsFor converts the arguments given to NewProcess into the types the
// target function takes, or says what does not fit.
func argsFor(fn reflect.Value, args []any) ([]reflect.Value, error) {
	t := fn.Type()
	name := funcName(fn)
	n := t.NumIn()
	if t.IsVariadic() {
		if len(args) < n-1 {
			return nil, fmt.Errorf("mp: the target %s takes at least %d arguments %s, got %d", name, n-1, inList(t), len(args))
		}
	} else if len(args) != n {
		return nil, fmt.Errorf("mp: the target %s takes %d arguments %s, got %d", name, n, inList(t), len(args))
	}
	vals := make([]reflect.Value, len(args))
	for i, a := range args {
		want := paramType(t, i)
		if a == nil {
			switch want.Kind() {
			case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
				vals[i] = reflect.Zero(want)
				continue
			}
			return nil, fmt.Errorf("mp: argument %d of %s is nil, but the parameter has type %s", i+1, name, want)
		}
		v := reflect.ValueOf(a)
		switch {
		case v.Type().AssignableTo(want):
			vals[i] = reflect.New(want).Elem()
			vals[i].Set(v)
		case isNumber(v.Type()) && isNumber(want):
			vals[i] = v.Convert(want)
		default:
			return nil, fmt.Errorf("mp: argument %d of %s has type %s, but the parameter has type %s", i+1, name, v.Type(), want)
		}
	}
	return vals, nil
}

func paramType(t reflect.Type, i int) reflect.Type {
	if t.IsVariadic() && i >= t.NumIn()-1 {
		return t.In(t.NumIn() - 1).Elem()
	}
	return t.In(i)
}

func isNumber(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func inList(t reflect.Type) string {
	var s []string
	for i := range t.NumIn() {
		s = append(s, t.In(i).String())
	}
	if t.IsVariadic() {
		s[len(s)-1] = "..." + t.In(t.NumIn()-1).Elem().String()
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// call runs a target with its arguments in this process. A target's error
// result is returned; a panic is not recovered here.
func call(target reflect.Value, args []reflect.Value) error {
	if target.Kind() == reflect.Func && len(args) == 0 {
		// Without arguments, no need for reflect.Value.Call, whose first
		// use costs a process's start a deeper stack and a layout to build.
		switch f := target.Interface().(type) {
		case func():
			f()
			return nil
		case func() error:
			return f()
		}
	}
	if target.Kind() == reflect.Func {
		out := target.Call(args)
		if len(out) == 1 && !out[0].IsNil() {
			return out[0].Interface().(error)
		}
		return nil
	}
	switch r := target.Interface().(type) {
	case errRunner:
		return r.Run()
	case runner:
		r.Run()
	}
	return nil
}
