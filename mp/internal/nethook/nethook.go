// Package nethook is how package mpnet teaches mp to rebuild network
// connections and listeners in a child, so that mp itself never links
// package net (see package mpnet for why).
package nethook

import "reflect"

// Rebuild, set by mpnet when it is linked, turns an inherited descriptor
// into a value of type t, a pointer to one of package net's connection or
// listener types. It owns fd from then on, whatever it returns. Nil means
// the program does not link mpnet.
var Rebuild func(t reflect.Type, fd int) (reflect.Value, error)
