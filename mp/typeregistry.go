package mp

import (
	"fmt"
	"os"
	"reflect"
	"sync"
)

// The type registry names the dynamic types that may travel inside
// interface values. Both processes run the same binary, so a name resolves
// to the same type on both sides, as long as both registered it.
//
// Registering is lazy: Main, Register and the package's own defaults only
// note the types, and the first lookup of a name that is not cached yet
// walks them all. Every child runs Main, and most never send or receive a
// value inside an interface, so a child's start does not pay for walking
// its targets' types with reflection.
var types struct {
	sync.Mutex
	byName  map[string]reflect.Type
	pending []reflect.Type // noted, not yet walked with the types they are built from
}

// builtinTypes can travel inside interfaces without being registered;
// walkPending adds them when it first runs.
var builtinTypes = []any{
	false, 0, int8(0), int16(0), int32(0), int64(0),
	uint(0), uint8(0), uint16(0), uint32(0), uint64(0), uintptr(0),
	float32(0), float64(0), complex64(0), complex128(0), "",
	[]byte(nil), []any(nil), []string(nil), []int(nil), []float64(nil),
	map[string]any(nil), map[string]string(nil), map[string]int(nil),
	(*os.File)(nil),
}

// Register makes the types of values known to every process, so that they
// can travel inside interface values (a field of type any, a Queue[any],
// Conn.Send). Call it before mp.Main, in every process, for example from an
// init function. Types reachable from a registered target's parameters and
// fields are registered by mp.Main already.
func Register(values ...any) {
	for _, v := range values {
		noteType(reflect.TypeOf(v))
	}
}

// noteType registers t and every type it is built from, lazily.
func noteType(t reflect.Type) {
	if t == nil {
		return
	}
	types.Lock()
	types.pending = append(types.pending, t)
	types.Unlock()
}

// registered caches the types ensureRegistered has noted, so that sending
// a value of a known type costs one lookup.
var registered sync.Map // reflect.Type → bool

// ensureRegistered registers t and its parts, once.
func ensureRegistered(t reflect.Type) {
	if _, ok := registered.Load(t); ok {
		return
	}
	noteType(t)
	registered.Store(t, true)
}

// typeNames caches typeName, which builds a string for named types.
var typeNames sync.Map // reflect.Type → string

func cachedTypeName(t reflect.Type) string {
	if n, ok := typeNames.Load(t); ok {
		return n.(string)
	}
	n := typeName(t)
	typeNames.Store(t, n)
	return n
}

// walkPending registers the noted types. types must be locked.
func walkPending() {
	if len(types.pending) == 0 && types.byName != nil {
		return
	}
	if types.byName == nil {
		types.byName = make(map[string]reflect.Type)
		for _, v := range builtinTypes {
			t := reflect.TypeOf(v)
			types.byName[typeName(t)] = t
		}
	}
	seen := map[reflect.Type]bool{}
	for _, t := range types.pending {
		registerTypeDeep(t, seen)
	}
	types.pending = nil
}

// registerTypeDeep registers t and every type it is built from. types must
// be locked.
func registerTypeDeep(t reflect.Type, seen map[reflect.Type]bool) {
	if t == nil || seen[t] {
		return
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return
	case reflect.Interface:
		return // an interface's dynamic types register themselves
	}
	types.byName[typeName(t)] = t
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		registerTypeDeep(t.Elem(), seen)
	case reflect.Map:
		registerTypeDeep(t.Key(), seen)
		registerTypeDeep(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				registerTypeDeep(t.Field(i).Type, seen)
			}
		}
	}
	if t.Kind() != reflect.Pointer {
		registerTypeDeep(reflect.PointerTo(t), seen)
	}
}

// lookupType finds a registered type by name. Names found once are kept in
// a sync.Map, read without locking: every value sent in an interface looks
// its type up.
func lookupType(name string) reflect.Type {
	if t, ok := typeCache.Load(name); ok {
		return t.(reflect.Type)
	}
	nameAllTargets() // their parameters' types may be the one
	types.Lock()
	walkPending()
	t := types.byName[name]
	types.Unlock()
	if t != nil {
		typeCache.Store(name, t)
	}
	return t
}

var typeCache sync.Map // string → reflect.Type

// typeName is unique within a binary: it qualifies named types with their
// package path, which reflect.Type.String does not.
func typeName(t reflect.Type) string {
	if t.Name() != "" && t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + typeName(t.Elem())
	case reflect.Slice:
		return "[]" + typeName(t.Elem())
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), typeName(t.Elem()))
	case reflect.Map:
		return "map[" + typeName(t.Key()) + "]" + typeName(t.Elem())
	}
	return t.String()
}
