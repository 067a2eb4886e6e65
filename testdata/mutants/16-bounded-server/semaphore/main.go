// Mutant semaphore: keeps exercise 15's process per client, and bounds it
// with a Semaphore of 2 taken before each Start and released by the child.
// Never more than two clients are served at once, but every client still
// costs a new process: six clients, six pids.
//
// Breaks: at most two processes serve all six clients
package main

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/forklore/forklore/mp"
)

const workers = 2

// handle serves one client, then gives its place back.
func handle(conn net.Conn, slots *mp.Semaphore) {
	defer slots.Release()
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		fmt.Fprintf(conn, "%s pid=%d\n", strings.ToUpper(sc.Text()), os.Getpid())
	}
}

func main() {
	mp.Main(handle)
	defer mp.Finish()

	addr := net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s pid=%d\n", ln.Addr(), os.Getpid())

	slots := mp.NewSemaphore(workers)
	for {
		// Wrong: the bound is on clients at once, not on processes.
		slots.Acquire()
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		p := mp.NewProcess(handle, conn, slots)
		if err := p.Start(); err != nil {
			log.Print(err)
		}
		conn.Close()
	}
}
