// Reference solution of exercises/16-bounded-server.
package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/forklore/forklore/mp"
	_ "github.com/forklore/forklore/mp/mpnet"
)

// workers is the size of the pool: the most clients served at once, and
// the most processes that ever serve, however many clients come.
const workers = 2

// listener is the listening socket, in each worker. setListener sets it
// once, when the worker starts.
var listener net.Listener

// handle serves one client: it answers each line with the line in upper
// case and the pid of the process running handle, until the client closes.
func handle(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		fmt.Fprintf(conn, "%s pid=%d\n", strings.ToUpper(sc.Text()), os.Getpid())
	}
}

// setListener is the pool's initializer. A task's arguments travel through
// a queue and cannot hold a socket; the initializer's arguments are passed
// when the worker starts, so the listener crosses as an inherited
// descriptor, as it would to mp.NewProcess.
func setListener(ln net.Listener) {
	listener = ln
}

// serveOne is one task: accept one client and serve it until it leaves.
// The worker runs nothing else meanwhile, so a pool of 2 serves at most 2
// clients at once; the others wait in the listen queue. It returns the
// client's address.
func serveOne(slot int) string {
	conn, err := listener.Accept()
	if err != nil {
		log.Print(err)
		return ""
	}
	addr := conn.RemoteAddr().String()
	handle(conn)
	return addr
}

func main() {
	mp.Main(setListener, serveOne)
	defer mp.Finish()

	addr := net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s pid=%d\n", ln.Addr(), os.Getpid())

	// The workers are started once, here, and each inherits the listener:
	// however many clients come, no other process is ever started.
	pool, err := mp.NewPool(mp.PoolConfig{
		Processes:   workers,
		Initializer: setListener,
		InitArgs:    []any{ln},
	})
	if err != nil {
		log.Fatal(err)
	}

	// Serve until stopped: each round gives every worker one serveOne
	// task, and ends when those clients have left.
	slots := make([]int, workers)
	for i := range slots {
		slots[i] = i
	}
	for {
		if _, err := mp.Map(pool, serveOne, slots); err != nil {
			log.Print(err)
		}
	}
}
