// Package mpnet lets network connections and listeners cross to mp
// processes, as sockets cross to Python's multiprocessing children through
// multiprocessing.reduction. Import it for its effect, in the main package:
//
//	import _ "github.com/forklore/forklore/mp/mpnet"
//
// Then a net.Conn or a net.Listener (a *net.TCPConn, *net.UnixConn,
// *net.UDPConn, *net.TCPListener or *net.UnixListener, held in a variable
// of that type or of an interface type) may be an argument of
// mp.NewProcess, or of a Pool's InitArgs. The child inherits the
// descriptor, so both processes hold the same socket: a server that hands a
// connection to a child closes its own copy, and a Pool's workers all
// accept on the listener they inherited. Like a Lock, a connection cannot
// travel through a Queue or a Pipe: it crosses only when a process starts.
//
// # Why a separate package
//
// A program that links package net is dynamically linked by default when a
// C compiler is installed (net's resolver may call the C library), and
// each child such a program starts then spends time in the dynamic loader
// before Go's runtime even begins: about a millisecond on the development
// machine, as long as the rest of a start. mp alone does not link net, so
// programs that pass no sockets start their children as fast as a static
// binary allows. A program that passes a connection without importing
// mpnet gets an error from Start that names this import (it wraps
// mp.ErrNeedMpnet).
package mpnet

import (
	"fmt"
	"io"
	"net"
	"os"
	"reflect"

	"github.com/forklore/forklore/mp"
	"github.com/forklore/forklore/mp/internal/nethook"
)

func init() {
	// The types a net.Conn or net.Listener may hold; registered so that
	// they can cross inside those interfaces.
	mp.Register((*net.TCPConn)(nil), (*net.UnixConn)(nil), (*net.UDPConn)(nil), (*net.IPConn)(nil),
		(*net.TCPListener)(nil), (*net.UnixListener)(nil))
	nethook.Rebuild = rebuild
}

// rebuild turns an inherited descriptor into a connection or listener of
// type t. net.FileConn and net.FileListener duplicate the descriptor, so
// the inherited one is closed afterwards.
func rebuild(t reflect.Type, fd int) (reflect.Value, error) {
	f := os.NewFile(uintptr(fd), "inherited")
	defer f.Close()
	var x any
	var err error
	if t.Implements(reflect.TypeFor[net.Listener]()) {
		x, err = net.FileListener(f)
	} else {
		x, err = net.FileConn(f)
	}
	if err != nil {
		return reflect.Value{}, err
	}
	xv := reflect.ValueOf(x)
	if xv.Type() != t {
		x.(io.Closer).Close()
		return reflect.Value{}, fmt.Errorf("the descriptor is a %s, not a %s", xv.Type(), t)
	}
	return xv, nil
}
