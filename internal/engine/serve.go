package engine

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forklore/forklore/internal/i18n"
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

func prepareServe(c *call) (func(*state) error, error) {
	want, err := parseCode(c)
	if err != nil {
		return nil, err
	}
	want.any = want.any || !c.has("-code")
	d, _, err := c.duration("-timeout")
	if err != nil {
		return nil, err
	}
	hold, _, err := c.duration("-hold")
	if err != nil {
		return nil, err
	}
	k := 1
	if v, ok := c.opts["-k"]; ok {
		if k, err = strconv.Atoi(v); err != nil || k < 1 || k > 64 {
			return nil, c.errorf("-k %q is not a number of clients from 1 to 64", v)
		}
	}
	together := c.has("-together")
	if together && hold <= 0 {
		return nil, c.errorf("-together needs -hold D, the longest a client waits for the others' first replies")
	}
	lines := c.args
	return func(s *state) error {
		g := s.g
		g.nrun++
		limit := g.limit(d)
		s.served = true
		h := holding{d: hold}
		if together {
			// Only a server that does not serve the clients side by side
			// makes them wait this long; a busy machine, which starts the
			// server's processes slowly, gets longer.
			h = holding{d: time.Duration(float64(hold) * loadFactor()), together: true}
		}
		var startErr error
		s.runs = g.runAll(func(i int) (*Run, bool) {
			r, err := s.serveOnce(i, k, h, limit, lines)
			if err != nil {
				startErr = err
				return nil, true
			}
			for _, cn := range r.Conns {
				if cn.Err != "" {
					// A server that leaves a client without a reply is judged
					// by that run; the others would only wait out the same limit.
					return r, true
				}
			}
			return r, false
		})
		if startErr != nil {
			return startErr
		}
		if err := s.health(c, want, i18n.M("the server starts, answers its clients and stops")); err != nil {
			return err
		}
		return s.judge(c, i18n.M("the server accepts connections"), true, func(r *Run) (*violation, error) {
			for _, cn := range r.Conns {
				if strings.HasPrefix(cn.Err, "cannot connect") || strings.HasPrefix(cn.Err, "still listening") {
					return violate(i18n.M("client %d: %s", cn.Client, cn.Err)), nil
				}
			}
			return nil, nil
		})
	}, nil
}

// serveOnce starts the server on a free loopback port, waits until it
// listens, lets k clients talk to it at once, stops it and checks that
// nothing listens on the port any more.
func (s *state) serveOnce(i, k int, hold holding, limit time.Duration, lines []string) (*Run, error) {
	g := s.g
	port, release, err := freePort()
	if err != nil {
		return nil, err
	}
	defer release()
	spec, seed, err := g.runSpec(s, i, limit, nil, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1")
	if err != nil {
		return nil, err
	}
	stop := make(chan struct{})
	started := make(chan int, 1)
	spec.stop, spec.started = stop, started
	done := make(chan *Run, 1)
	t0 := time.Now()
	go func() { done <- execute(g.ctx, spec) }()
	conns := make([]Conn, k)
	var r *Run
	pid := 0
	select {
	case pid = <-started:
	case r = <-done:
	}
	if r != nil || !waitListening(port, done, &r, limit) {
		for c := range conns {
			conns[c] = Conn{Client: c, Err: fmt.Sprintf("cannot connect: nothing listened on 127.0.0.1:%d", port)}
		}
	} else {
		var wg, replied sync.WaitGroup
		deadline := t0.Add(limit)
		all := make(chan struct{})
		replied.Add(k)
		go func() { replied.Wait(); close(all) }()
		for c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conns[c] = client(c, port, lines, hold, all, sync.OnceFunc(replied.Done), t0, deadline)
			}()
		}
		wg.Wait()
	}
	held, heldAll := -1, -1
	if r == nil && pid > 0 {
		held, heldAll = settledHeld(pid, port)
	}
	if r == nil {
		close(stop)
		r = <-done
	}
	r.Held, r.HeldAll = held, heldAll
	r.Index, r.Seed = i, seed
	if listening(port) {
		conns = append(conns, Conn{Client: -1, Err: fmt.Sprintf("still listening: something still listens on 127.0.0.1:%d after the server was stopped", port)})
	}
	r.Conns = conns
	return r, nil
}

// settledHeld returns how many client connections on port the server's
// main process pid, and all its processes, still hold once its clients
// have all closed theirs. A server that closes its copy after handing a
// connection to a child holds none; one that never does holds one per
// client, forever. It waits for the count to reach zero, for a while that
// grows with the machine's load, so that a correct server is never caught
// between two statements.
func settledHeld(pid, port int) (main, all int) {
	count := func() (int, int) {
		main := heldConns(pid, port)
		all := main
		for _, p := range descendants(pid, 0) {
			all += heldConns(p.Pid, port)
		}
		return main, all
	}
	main, all = count()
	for end := time.Now().Add(time.Duration(float64(500*time.Millisecond) * loadFactor())); all > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
		main, all = count()
	}
	return main, all
}

// heldConns counts the TCP connections with local port port (not the
// listener) among process pid's descriptors.
func heldConns(pid, port int) int {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	for _, fd := range fds {
		l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	hex := fmt.Sprintf(":%04X", port)
	n := 0
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(l)
			if len(fs) > 9 && strings.HasSuffix(fs[1], hex) && fs[3] != "0A" && inodes[fs[9]] {
				n++
			}
		}
	}
	return n
}

func prepareHeld(c *call) (func(*state) error, error) {
	op, err := c.op(c.args[0])
	if err != nil {
		return nil, err
	}
	n, err := c.count(c.args[1])
	if err != nil {
		return nil, err
	}
	all := c.has("-all")
	desc := i18n.M("once its clients are gone, the server's own process holds %s %d of their connections", op.words(), n)
	if all {
		desc = i18n.M("once its clients are gone, the server's processes together hold %s %d of their connections", op.words(), n)
	}
	return func(s *state) error {
		return s.judge(c, desc, false, func(r *Run) (*violation, error) {
			held := r.Held
			if all {
				held = r.HeldAll
			}
			if held < 0 || op.holds(float64(held), float64(n)) {
				return nil, nil
			}
			conns := i18n.Plural(held, "%d client connection", "%d client connections")
			if all {
				return violate(i18n.M("the server's processes still hold %s after every client closed its end; want %s %d", conns, op.words(), n)), nil
			}
			return violate(i18n.M("the server's main process still holds %s after every client closed its end; want %s %d", conns, op.words(), n)), nil
		})
	}, nil
}

// waitListening polls until a socket listens on port, the program exits
// (then *r is set) or d passes. It never connects, so the server sees only
// the clients' connections.
func waitListening(port int, done <-chan *Run, r **Run, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if listening(port) {
			return true
		}
		select {
		case *r = <-done:
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
	// in that window. A lock per port, held until the run ends, keeps every
	// grader off the ports the others have handed out. The lock is an
	// abstract unix socket named after the port: binding it is exclusive
	// across processes, and it vanishes with its holder, leaving no file.
	for try := 0; try < 100; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, nil, fmt.Errorf("no free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		lock, err := net.Listen("unix", "@forklore-grade-port-"+strconv.Itoa(port))
		if err != nil {
			continue // another run holds this port: pick again
		}
		return port, func() { lock.Close() }, nil
	}
	return 0, nil, fmt.Errorf("no free port after 100 tries")
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

// holding says how long a client keeps its connection open after its
// first reply: d; or, together, until every client has had its first
// reply, d at most.
type holding struct {
	d        time.Duration
	together bool
}

// client connects, sends each line ({i} replaced by the client number),
// reads one reply line to each, holding the connection open after the
// first reply as hold says, then closes. It calls replied once, when it
// has its first reply or cannot have one; all is closed once every client
// has called it.
func client(c, port int, lines []string, hold holding, all <-chan struct{}, replied func(), t0, deadline time.Time) (cn Conn) {
	defer replied()
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
			replied()
			if !hold.together {
				time.Sleep(hold.d)
				continue
			}
			t := time.NewTimer(hold.d)
			select {
			case <-all:
			case <-t.C:
			}
			t.Stop()
		}
	}
	return cn
}

func prepareReplies(c *call) (func(*state) error, error) {
	tmpl := c.args[0]
	if _, err := regexp.Compile(strings.NewReplacer("{sent}", "x", "{SENT}", "X").Replace(tmpl)); err != nil {
		return nil, c.errorf("bad template %q: %v", tmpl, err)
	}
	return func(s *state) error {
		if !s.served {
			return c.errorf("no serve to check; put a serve command before it")
		}
		return s.judge(c, i18n.M("every reply matches `%s`", tmpl), false, func(r *Run) (*violation, error) {
			return checkReplies(r.Conns, tmpl), nil
		})
	}, nil
}

func checkReplies(conns []Conn, tmpl string) *violation {
	n := 0
	for _, c := range conns {
		for i, sent := range c.Sent {
			if i >= len(c.Replies) {
				why := i18n.M("client %d sent %q but got no reply", c.Client, sent)
				if c.Err != "" {
					why = i18n.M("%s: %s", why, c.Err)
				}
				return violate(why)
			}
			n++
			re := regexp.MustCompile(strings.NewReplacer("{sent}", regexp.QuoteMeta(sent), "{SENT}", regexp.QuoteMeta(strings.ToUpper(sent))).Replace(tmpl))
			if !re.MatchString(c.Replies[i]) {
				l := Line{N: n, Stream: Stdout, Text: c.Replies[i]}
				return violate(i18n.M("client %d sent %q and got reply %q, which does not match `%s`", c.Client, sent, c.Replies[i], re), l)
			}
		}
	}
	return nil
}

// served returns the most connections served at once. A connection is
// served from its first reply until the client closed it, so a server that
// finishes one connection before replying on the next never counts two.
func served(conns []Conn) int {
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

func prepareOverlap(c *call) (func(*state) error, error) {
	op, err := c.op(c.args[0])
	if err != nil {
		return nil, err
	}
	n, err := c.count(c.args[1])
	if err != nil {
		return nil, err
	}
	return func(s *state) error {
		if !s.served {
			return c.errorf("no serve to check; put a serve command before it")
		}
		return s.judge(c, i18n.M("%s %d connections are served at once", op.words(), n), false, func(r *Run) (*violation, error) {
			got := served(r.Conns)
			if op.holds(float64(got), float64(n)) {
				return nil, nil
			}
			return violate(i18n.M("at most %d connections were served at once; want %s %d", got, op.words(), n)), nil
		})
	}, nil
}
