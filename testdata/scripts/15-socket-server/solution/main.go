// Reference solution of exercises/15-socket-server.
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
		// The connection crosses to the child as an inherited descriptor,
		// as Python pickles a socket for a Process.
		p := mp.NewProcess(handle, conn)
		if err := p.Start(); err != nil {
			log.Print(err)
		}
		// The child holds its own copy now. Close the server's: otherwise
		// every client leaves an open socket behind in the server, and the
		// connection is not closed when the child closes it.
		conn.Close()
	}
}
