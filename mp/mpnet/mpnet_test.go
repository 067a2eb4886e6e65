package mpnet_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/forklore/forklore/mp"
	_ "github.com/forklore/forklore/mp/mpnet"
)

// TestMain is the main of every process the tests start: the test binary
// executes itself again for each child.
func TestMain(m *testing.M) {
	mp.Main(echoOnConn, echoOnTCP, acceptOne, serveOne, setListener, shout)
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	code := m.Run()
	mp.Finish()
	os.Exit(code)
}

// echoOnConn greets the client, then echoes one line in upper case.
func echoOnConn(c net.Conn) {
	defer c.Close()
	fmt.Fprintf(c, "hello from %d\n", os.Getpid())
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Fprint(c, strings.ToUpper(line))
}

func echoOnTCP(c *net.TCPConn) { echoOnConn(c) }

// acceptOne serves one client of an inherited listener.
func acceptOne(ln net.Listener) {
	c, err := ln.Accept()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	echoOnConn(c)
}

func tcpPair(t *testing.T) (ln net.Listener, client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return ln, client, server
}

func start(t *testing.T, p *mp.Process) {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatalf("Start() = %v; want nil", err)
	}
	t.Cleanup(func() { p.Kill(); p.Join() })
}

func joinWithin(t *testing.T, p *mp.Process) {
	t.Helper()
	exited, err := p.JoinTimeout(30 * time.Second)
	if err != nil || !exited {
		t.Fatalf("JoinTimeout(30s) = %v, %v; want true, nil", exited, err)
	}
	if code, _ := p.ExitCode(); code != 0 {
		t.Errorf("%s exit code = %d; want 0", p.Name, code)
	}
}

// talk checks the greeting and the echo of a child serving client.
func talk(t *testing.T, client net.Conn, pid int) {
	t.Helper()
	br := bufio.NewReader(client)
	hello, err := br.ReadString('\n')
	if err != nil || hello != fmt.Sprintf("hello from %d\n", pid) {
		t.Errorf("greeting = %q, %v; want hello from the child's pid %d", hello, err, pid)
	}
	fmt.Fprintln(client, "ping")
	echo, err := br.ReadString('\n')
	if err != nil || echo != "PING\n" {
		t.Errorf("echo = %q, %v; want PING", echo, err)
	}
	if _, err := br.ReadString('\n'); err != io.EOF {
		t.Errorf("after the child closed its copy, client read %v; want EOF", err)
	}
}

func TestPassingConnections(t *testing.T) {
	for _, target := range []any{echoOnConn, echoOnTCP} {
		_, client, server := tcpPair(t)
		p := mp.NewProcess(target, server)
		start(t, p)
		// The parent's copy stays non-blocking: a deadline still works on
		// it. (exec.Cmd.ExtraFiles would have switched the shared
		// description to blocking mode, and this Read would hang.)
		server.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := server.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Read on the parent's copy = %v; want a deadline error", err)
		}
		// The seeds' server closes its copy right after start.
		server.Close()
		talk(t, client, p.Pid())
		joinWithin(t, p)
	}
}

func TestPassingListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := mp.NewProcess(acceptOne, ln)
	start(t, p)
	ln.Close() // the child's copy keeps listening
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial the child's inherited listener: %v", err)
	}
	defer client.Close()
	talk(t, client, p.Pid())
	joinWithin(t, p)
}

// The pool's workers inherit the listener through the initializer, as in
// exercise 16.
var listener net.Listener

func setListener(ln net.Listener) { listener = ln }

func serveOne(int) int {
	c, err := listener.Accept()
	if err != nil {
		return -1
	}
	echoOnConn(c)
	return os.Getpid()
}

func TestPoolInheritsListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pool, err := mp.NewPool(mp.PoolConfig{Processes: 1, Initializer: setListener, InitArgs: []any{ln}})
	if err != nil {
		t.Fatalf("NewPool with a listener in InitArgs: %v", err)
	}
	defer pool.Terminate()
	res := mp.ApplyAsync[int](pool, serveOne, 0)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	br := bufio.NewReader(client)
	if hello, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(hello, "hello from ") {
		t.Errorf("greeting = %q, %v; want hello from a worker", hello, err)
	}
	fmt.Fprintln(client, "ping")
	if echo, err := br.ReadString('\n'); err != nil || echo != "PING\n" {
		t.Errorf("echo = %q, %v; want PING", echo, err)
	}
	pid, err := res.Get()
	if err != nil || pid <= 0 || pid == os.Getpid() {
		t.Errorf("serveOne ran in pid %d, %v; want a worker's pid", pid, err)
	}
}

func TestConnCannotGoThroughAQueue(t *testing.T) {
	_, client, _ := tcpPair(t)
	q := mp.NewQueue[net.Conn](0)
	defer q.Close()
	if err := q.Put(client); !errors.Is(err, mp.ErrInheritOnly) {
		t.Errorf("Queue.Put(conn) = %v; want an error matching ErrInheritOnly", err)
	}
}
