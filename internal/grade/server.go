package grade

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Conn is what one client saw of its connection to the server.
type Conn struct {
	Client  int           // 0-based client number
	Sent    []string      // lines sent
	Replies []string      // reply lines received, one per line sent while the server answered
	Open    time.Duration // connected, since the server started
	First   time.Duration // first reply received
	Close   time.Duration // about to close, after the last reply
	Err     string        // what went wrong, if anything
}

// replyLines numbers the replies of all clients, client by client.
func replyLines(conns []Conn) []Line {
	var ls []Line
	for _, c := range conns {
		for _, r := range c.Replies {
			ls = append(ls, Line{N: len(ls) + 1, Stream: Stdout, Text: r})
		}
	}
	return ls
}

// CheckReplies reports whether every line sent got a reply matching tmpl,
// in which {sent} stands for the line sent and {SENT} for it in upper case.
func CheckReplies(conns []Conn, tmpl string) (*Violation, error) {
	n := 0
	for _, c := range conns {
		for i, sent := range c.Sent {
			if i >= len(c.Replies) {
				why := fmt.Sprintf("client %d sent %q but got no reply", c.Client, sent)
				if c.Err != "" {
					why += ": " + c.Err
				}
				return violate(why), nil
			}
			n++
			pat := strings.NewReplacer("{sent}", regexp.QuoteMeta(sent), "{SENT}", regexp.QuoteMeta(strings.ToUpper(sent))).Replace(tmpl)
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, err
			}
			if !re.MatchString(c.Replies[i]) {
				l := Line{N: n, Stream: Stdout, Text: c.Replies[i]}
				return violate(fmt.Sprintf("client %d sent %q and got reply %q, which does not match `%s`", c.Client, sent, c.Replies[i], re), l), nil
			}
		}
	}
	return nil, nil
}

// Served returns the most connections served at once. A connection is
// served from its first reply until the client closed it, so a server that
// finishes one connection before replying on the next never counts two.
func Served(conns []Conn) int {
	most := 0
	for _, c := range conns {
		if c.Replies == nil {
			continue
		}
		n := 0
		for _, d := range conns {
			if d.Replies != nil && d.First <= c.First && c.First < d.Close {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// CheckOverlap reports whether the most connections served at once
// compares to n by op.
func CheckOverlap(conns []Conn, op Op, n int) *Violation {
	got := Served(conns)
	if op.holds(float64(got), float64(n)) {
		return nil
	}
	return violate(fmt.Sprintf("at most %d connections were served at once; want %s %d", got, op.words(), n))
}

func (s *script) cmdReplies(ts *testscript.TestScript, neg bool, args []string) {
	o, args := s.parseOpts(ts, "replies", args)
	o.replies = true
	s.needServe(ts, "replies")
	s.judge(ts, "replies", o, fmt.Sprintf("every reply matches `%s`", args[0]), func(r int) (*Violation, error) {
		return CheckReplies(s.conns[r], args[0])
	})
}

func (s *script) cmdOverlap(ts *testscript.TestScript, neg bool, args []string) {
	o, args := s.parseOpts(ts, "overlap", args)
	o.replies = true
	op, n := s.op(ts, "overlap", args[0]), s.atoi(ts, "overlap", args[1])
	s.needServe(ts, "overlap")
	s.judge(ts, "overlap", o, fmt.Sprintf("%s %d connections are served at once", op.words(), n), func(r int) (*Violation, error) {
		return CheckOverlap(s.conns[r], op, n), nil
	})
}

func (s *script) needServe(ts *testscript.TestScript, cmd string) {
	if s.conns == nil {
		s.scriptError(ts, cmd, "%s: no serve to check; put a serve command before it", cmd)
	}
}

func (s *script) cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	k, hold := 1, time.Duration(0)
	timeout := s.cfg.Timeout
	var want *int
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		if args[0] == "--" {
			args = args[1:]
			break
		}
		switch args[0] {
		case "-k":
			k = s.atoi(ts, "serve", args[1])
		case "-hold":
			d, err := time.ParseDuration(args[1])
			if err != nil {
				s.scriptError(ts, "serve", "serve: -hold %q: %v", args[1], err)
			}
			hold = d
		case "-code":
			want, _ = s.parseCode(ts, "serve", args[:2], nil)
		case "-timeout":
			d, err := time.ParseDuration(args[1])
			if err != nil || d <= 0 {
				s.scriptError(ts, "serve", "serve: -timeout %q is not a positive duration such as 3s", args[1])
			}
			timeout = min(d, s.cfg.Timeout)
		default:
			s.scriptError(ts, "serve", "serve: unknown option %s", args[0])
		}
		args = args[2:]
	}
	s.nrun++
	s.stop.Store(false)
	runs := make([]Run, s.cfg.Runs)
	conns := make([][]Conn, s.cfg.Runs)
	ran := s.parallel(func(i int) {
		runs[i], conns[i] = s.serveOnce(ts, i, k, hold, timeout, args)
		runs[i].Index = i
		for _, c := range conns[i] {
			if c.Err != "" {
				// A server that leaves a client without a reply is judged
				// by that run; the others would only wait out the same limit.
				s.stop.Store(true)
			}
		}
	})
	s.runs, s.conns = s.runs[:0], s.conns[:0]
	for i := range runs {
		if ran[i] {
			s.runs = append(s.runs, runs[i])
			s.conns = append(s.conns, conns[i])
		}
	}
	s.verdictOfRuns(ts, "serve", false, want, "the server starts, answers its clients and stops", timeout)
	for i, cs := range s.conns {
		for _, c := range cs {
			if strings.HasPrefix(c.Err, "cannot connect") || strings.HasPrefix(c.Err, "still listening") {
				res := CheckResult{Name: "the server accepts connections", Command: "serve", Status: Fail,
					Run: s.runs[i].Index + 1, Seed: s.runs[i].Seed, Output: excerpt(s.runs[i].Lines, nil),
					Message: fmt.Sprintf("run %d of %d (seed %d): client %d: %s", s.runs[i].Index+1, s.cfg.Runs, s.runs[i].Seed, c.Client, c.Err)}
				s.results = append(s.results, res)
				ts.Fatalf("%s", res.Message)
			}
		}
	}
}

// serveOnce starts the server on a free loopback port, waits until it
// listens, lets k clients talk to it at once, stops it and checks that
// nothing listens on the port any more.
func (s *script) serveOnce(ts *testscript.TestScript, i, k int, hold, timeout time.Duration, lines []string) (Run, []Conn) {
	seed := seedFor(s.cfg.Seed, i)
	dir, trace := s.prepare(ts, i)
	port, release, err := freePort()
	if err != nil {
		return Run{Err: err}, nil
	}
	defer release()
	stop := make(chan struct{})
	started := make(chan int, 1)
	done := make(chan Run, 1)
	t0 := time.Now()
	go func() {
		done <- execute(runSpec{
			argv:    s.program,
			dir:     dir,
			env:     s.env(ts, seed, trace, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1"),
			timeout: timeout,
			grace:   s.cfg.Grace,
			stop:    stop,
			started: started,
		})
	}()
	conns := make([]Conn, k)
	var r Run
	ended := false
	select {
	case <-started:
	case r = <-done:
		ended = true
	}
	if ended || !waitListening(port, done, &r, &ended, min(timeout, 10*time.Second)) {
		for c := range conns {
			conns[c] = Conn{Client: c, Err: fmt.Sprintf("cannot connect: nothing listened on 127.0.0.1:%d", port)}
		}
	} else {
		var wg sync.WaitGroup
		deadline := t0.Add(timeout)
		for c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conns[c] = client(c, port, lines, hold, t0, deadline)
			}()
		}
		wg.Wait()
	}
	if !ended {
		close(stop)
		r = <-done
	}
	r.Index, r.Seed, r.Trace = i, seed, trace
	if listening(port) {
		conns = append(conns, Conn{Client: -1, Err: fmt.Sprintf("still listening: something still listens on 127.0.0.1:%d after the server was stopped", port)})
	}
	return r, conns
}

// waitListening polls until a socket listens on port, the program exits
// (then r is set) or d passes. It never connects, so the server sees only
// the clients' connections.
func waitListening(port int, done <-chan Run, r *Run, ended *bool, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if listening(port) {
			return true
		}
		select {
		case *r = <-done:
			*ended = true
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

func freePort() (int, func(), error) {
	// A port is free between the probe's close and the server's bind, and
	// another serve run, in this grader or in another one on the machine
	// (go test runs packages in parallel), could be handed the same port
	// in that window. A lock file per port, held until the run ends,
	// keeps every grader off the ports the others have handed out.
	for try := 0; try < 100; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("grade: no free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		// The files stay (empty, one per port ever used): removing one
		// while another grader opens it would let two lock different files
		// for one port.
		dir := filepath.Join(os.TempDir(), "forklore-grade-ports")
		_ = os.MkdirAll(dir, 0o700)
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return 0, nil, fmt.Errorf("grade: cannot reserve a port: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // another run holds this port: pick again
			continue
		}
		return port, func() { f.Close() }, nil
	}
	return 0, nil, fmt.Errorf("grade: no free port after 100 tries")
}

// listening reports whether /proc/net/tcp{,6} has a listening socket on port.
func listening(port int) bool {
	hex := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(l)
			if len(fs) > 3 && strings.HasSuffix(fs[1], hex) && fs[3] == "0A" {
				return true
			}
		}
	}
	return false
}

// client connects, sends each line ({i} replaced by the client number),
// reads one reply line to each, holding the connection open for hold after
// the first reply, then closes.
func client(c, port int, lines []string, hold time.Duration, t0, deadline time.Time) (cn Conn) {
	cn.Client = c
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Until(deadline))
	if err != nil {
		cn.Err = "cannot connect: " + err.Error()
		return cn
	}
	cn.Open = time.Since(t0)
	defer func() {
		// Take the time before closing: the server cannot see the close
		// earlier, so a reply it sends afterwards is timed later.
		cn.Close = time.Since(t0)
		conn.Close()
	}()
	conn.SetDeadline(deadline)
	rd := bufio.NewReader(conn)
	for i, l := range lines {
		l = strings.ReplaceAll(l, "{i}", strconv.Itoa(c))
		cn.Sent = append(cn.Sent, l)
		if _, err := conn.Write([]byte(l + "\n")); err != nil {
			cn.Err = err.Error()
			return cn
		}
		reply, err := rd.ReadString('\n')
		if err != nil {
			cn.Err = err.Error()
			return cn
		}
		cn.Replies = append(cn.Replies, strings.TrimRight(reply, "\r\n"))
		if i == 0 {
			cn.First = time.Since(t0)
			time.Sleep(hold)
		}
	}
	return cn
}
