// Exercise 14-pipe: messages over a Pipe, then two children on one end.
//
// Read README.md, change the places marked TODO, then run
//
//	go run ./cmd/grade ./exercises/14-pipe
package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"time"

	"github.com/forklore/forklore/mp"
)

// stop asks the child that receives it to end.
const stop = "stop"

// echo answers every message on its end of the pipe until it receives stop.
func echo(conn *mp.Conn) {
	fmt.Printf("child pid=%d\n", os.Getpid())
	for {
		var msg string
		check(conn.Recv(&msg))
		if msg == stop {
			return
		}
		fmt.Printf("received %s by %d\n", msg, os.Getpid())
		time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond) // work on it
		// TODO: the parent cannot tell which child answered. Reply with
		// "<msg> from <pid>", this process's pid.
		check(conn.Send(msg))
	}
}

// say prints a message, then sends it: printed after Send, the line could
// come after the child's `received` line.
func say(conn *mp.Conn, msg string) {
	fmt.Printf("sent %s\n", msg)
	check(conn.Send(msg))
}

// check ends the process on an error from Send, Recv or Start. Children
// blocked in Recv end too: once this process is gone, they read io.EOF.
func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	mp.Main(echo)
	defer mp.Finish()
	fmt.Printf("main pid=%d\n", os.Getpid())

	// Part 1: the parent and one child take turns.
	mine, theirs := mp.Pipe()
	child := mp.NewProcess(echo, theirs)
	check(child.Start())
	for i := range 3 {
		say(mine, fmt.Sprintf("solo%d", i))
		var reply string
		check(mine.Recv(&reply))
		fmt.Printf("reply %s\n", reply)
	}
	check(mine.Send(stop))
	child.Join()
	mine.Close()
	theirs.Close()

	// Part 2: children share one end of a new pipe.
	mine, theirs = mp.Pipe()
	var children []*mp.Process
	// TODO: start two children, both with the same end, theirs.
	for range 1 {
		c := mp.NewProcess(echo, theirs)
		check(c.Start())
		children = append(children, c)
	}
	// TODO: the children have their own copies of theirs now; the parent's
	// copy keeps their end open, so the loop below would never read EOF.
	// Close it.
	for i := range 4 {
		say(mine, fmt.Sprintf("shared%d", i))
	}
	// TODO: a child ends at the first stop it receives: send one per child.
	check(mine.Send(stop))
	// Read replies until EOF, which comes once every copy of the
	// children's end is closed.
	for {
		var reply string
		err := mine.Recv(&reply)
		if errors.Is(err, io.EOF) {
			break
		}
		check(err)
		fmt.Printf("reply %s\n", reply)
	}
	for _, c := range children {
		c.Join()
	}
}
