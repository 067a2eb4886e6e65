// Mutant goroutine: serves each connection in a goroutine, the Go habit.
// The clients are served at once, but all by the server process: one pid,
// not one process per client as the exercise (and Python's seed) asks.
//
// Breaks: each connection is served by a process of its own
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

// handle serves one client in a process of its own: it answers each line
// with the line in upper case and its pid, until the client closes.
func handle(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		fmt.Fprintf(conn, "%s pid=%d\n", strings.ToUpper(sc.Text()), os.Getpid())
	}
}

func main() {
	mp.Main(handle)
	defer mp.Finish()

	// HOST and PORT come from the environment: the grader picks a free
	// loopback port, and nothing outside this machine can connect.
	addr := net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s pid=%d\n", ln.Addr(), os.Getpid())

	// Serve until stopped: the grader ends the whole process group.
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		// Wrong: a goroutine runs in the server process.
		go handle(conn)
	}
}
