// Exercise 15-socket-server: a server that gives every client a process.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/15-socket-server
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

// handle serves one client: it answers each line with the line in upper
// case and the pid of the process running handle, until the client closes.
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

	// HOST and PORT come from the environment (the grader sets them), so
	// the server listens on a loopback port nobody else uses.
	addr := net.JoinHostPort(os.Getenv("HOST"), os.Getenv("PORT"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s pid=%d\n", ln.Addr(), os.Getpid())

	// The server runs until it is stopped.
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		// TODO: this serves the client right here, in the server process,
		// and the next client waits until this one leaves. Hand conn to a
		// process of its own instead: mp.NewProcess(handle, conn), then
		// Start it (and handle its error), without waiting for it.
		handle(conn)
		// TODO: once the child is started it holds its own copy of conn;
		// close the server's copy here (conn.Close()).
	}
}
