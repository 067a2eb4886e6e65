package engine

import (
	"bytes"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Output limits: what one run keeps of its output, and of one line.
const (
	maxOutput = 1 << 20
	maxLine   = 4 << 10
)

// collector gathers the lines of both pipes in arrival order, up to
// maxOutput bytes; a line longer than maxLine is cut, and says so.
type collector struct {
	mu        sync.Mutex
	lines     []Line
	partial   [3]bytes.Buffer
	cut       [3]int // bytes dropped from the line being read
	size      int
	truncated bool // the output cap was hit
	cutLines  int  // lines cut at maxLine
}

func monoNow() int64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

func (c *collector) add(s Stream, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !c.truncated {
			keep := max(0, min(len(chunk), maxLine-c.partial[s].Len(), maxOutput-c.size))
			c.partial[s].Write(chunk[:keep])
			c.size += keep
			c.cut[s] += len(chunk) - keep
			if c.size >= maxOutput {
				// The cap: the line so far is the last one kept.
				c.truncated = true
				c.flush(s)
			} else if i >= 0 {
				c.size++
				c.flush(s)
			}
		}
		if i < 0 {
			return
		}
		p = p[i+1:]
	}
}

func (c *collector) flush(s Stream) {
	text := c.partial[s].String()
	if len(text) > 0 && text[len(text)-1] == '\r' {
		text = text[:len(text)-1]
	}
	if c.cut[s] > 0 {
		text += "… (" + strconv.Itoa(c.cut[s]) + " bytes cut)"
		c.cutLines++
	}
	c.lines = append(c.lines, Line{N: len(c.lines) + 1, Stream: s, Text: text, Mono: monoNow()})
	c.partial[s].Reset()
	c.cut[s] = 0
}

func (c *collector) snapshot() []Line {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Line(nil), c.lines...)
}

// read copies one pipe into the collector until every writer has closed it.
func (c *collector) read(s Stream, f *os.File, done *sync.WaitGroup) {
	defer done.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		c.add(s, buf[:n])
		if err != nil {
			c.mu.Lock()
			if !c.truncated && (c.partial[s].Len() > 0 || c.cut[s] > 0) {
				c.flush(s)
			}
			c.mu.Unlock()
			return
		}
	}
}
