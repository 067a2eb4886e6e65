// Exercise 16-bounded-server: serve the clients from a Pool of two workers.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/16-bounded-server
package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/forklore/forklore/mp"
	// mpnet lets a net.Conn or a net.Listener be an argument of a process.
	_ "github.com/forklore/forklore/mp/mpnet"
)

// workers is the size of the pool: the most clients served at once, and
// the most processes that ever serve, however many clients come.
const workers = 2

// listener is the listening socket, in each worker.
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

// setListener will be the pool's initializer: each worker runs it once,
// when it starts, with the arguments given in PoolConfig.InitArgs.
func setListener(ln net.Listener) {
	// TODO: keep ln in the package variable listener, for serveOne.
}

// serveOne will be one task of the pool: accept one client and serve it
// until it leaves, then return the client's address.
func serveOne(slot int) string {
	// TODO: accept one connection on listener, serve it with handle, and
	// return conn.RemoteAddr().String().
	return ""
}

func main() {
	mp.Main(handle, setListener, serveOne)
	defer mp.Finish()

	addr := net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s pid=%d\n", ln.Addr(), os.Getpid())

	// TODO: this is exercise 15's server, a new process for every client:
	// a thousand clients would mean a thousand processes. Replace the loop:
	// start mp.NewPool(mp.PoolConfig{Processes: workers, Initializer:
	// setListener, InitArgs: []any{ln}}), then, forever, hand each worker
	// one serveOne task: mp.Map(pool, serveOne, one item per worker).
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		p := mp.NewProcess(handle, conn)
		if err := p.Start(); err != nil {
			log.Print(err)
		}
		conn.Close()
	}
}
