// Reference solution of exercises/14-pipe.
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

// stop asks the child that receives it to end. Like a queue's sentinel, it
// reaches one child only: two children sharing an end need one each.
const stop = "stop"

// echo answers every message on its end of the pipe with the message and
// its own pid, until it receives stop.
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
		// The reply carries the pid because only the child knows it: when
		// two children share an end, the parent cannot tell who answered.
		check(conn.Send(fmt.Sprintf("%s from %d", msg, os.Getpid())))
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

	// Part 1: the parent and one child take turns, one message and its
	// reply at a time.
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

	// Part 2: two children hold copies of the same end, and each message
	// goes to whichever child receives first.
	mine, theirs = mp.Pipe()
	var children []*mp.Process
	for range 2 {
		c := mp.NewProcess(echo, theirs)
		check(c.Start())
		children = append(children, c)
	}
	// The children have their own copies now. Close this one, or the
	// parent itself keeps the children's end open, and the Recv loop
	// below never sees EOF.
	theirs.Close()
	for i := range 4 {
		say(mine, fmt.Sprintf("shared%d", i))
	}
	for range children {
		check(mine.Send(stop))
	}
	// Read until EOF: it comes once both children have ended, which closes
	// the last copies of their end, after their last reply.
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
