package mpnet_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/forklore/forklore/mp"
)

// shout answers one line of the client in upper case.
func shout(c net.Conn) {
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Fprint(c, strings.ToUpper(line))
}

// A server hands a connection to a process of its own, as Python's
// socketserver.ForkingMixIn does. Importing mpnet (for its effect) is what
// lets a net.Conn be an argument of NewProcess.
//
// The server closes its own copy right after Start: the child holds
// another, and the client sees the connection end only when both are
// closed.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	conn, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}

	p := mp.NewProcess(shout, conn)
	if err := p.Start(); err != nil {
		fmt.Println(err)
		return
	}
	conn.Close()

	fmt.Fprintln(client, "hello from the client")
	reply, _ := bufio.NewReader(client).ReadString('\n')
	fmt.Print(reply)
	p.Join()
	// Output: HELLO FROM THE CLIENT
}
