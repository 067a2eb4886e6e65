// The processes of a run, as Linux's /proc shows them. Elsewhere /proc
// does not exist, and these find nothing.

package engine

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc is a process of a run, as /proc showed it.
type Proc struct {
	Pid     int    `json:"pid"`
	PPid    int    `json:"ppid"`
	Pgid    int    `json:"pgid"`
	State   string `json:"state"`
	Comm    string `json:"comm"`
	Cmdline string `json:"cmdline,omitempty"`
	Wchan   string `json:"wchan,omitempty"`
}

func (p Proc) String() string {
	cmd := p.Cmdline
	if cmd == "" {
		cmd = p.Comm
	}
	if len(cmd) > 80 {
		cmd = cmd[:80] + "…"
	}
	return fmt.Sprintf("pid %d (%s)", p.Pid, cmd)
}

// readProc reads /proc/pid/stat and cmdline; ok is false once it is gone.
func readProc(pid int) (Proc, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, false
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
	i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if i < 0 || j < i {
		return Proc{}, false
	}
	f := strings.Fields(string(b[j+1:]))
	if len(f) < 3 {
		return Proc{}, false
	}
	p := Proc{Pid: pid, Comm: string(b[i+1 : j]), State: f[0]}
	p.PPid, _ = strconv.Atoi(f[1])
	p.Pgid, _ = strconv.Atoi(f[2])
	if c, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil {
		p.Cmdline = strings.TrimSpace(strings.ReplaceAll(string(c), "\x00", " "))
	}
	if w, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/wchan"); err == nil && string(w) != "0" {
		p.Wchan = string(w)
	}
	return p, true
}

// allProcs reads every process of the machine.
func allProcs() []Proc {
	entries, _ := os.ReadDir("/proc")
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// descendants returns the live (not zombie) processes below root, and the
// members of group pgid wherever they are.
func descendants(root, pgid int) []Proc {
	procs := allProcs()
	children := map[int][]int{}
	byPid := map[int]Proc{}
	for _, p := range procs {
		children[p.PPid] = append(children[p.PPid], p.Pid)
		byPid[p.Pid] = p
	}
	seen := map[int]bool{}
	var out []Proc
	var walk func(pid int)
	walk = func(pid int) {
		for _, c := range children[pid] {
			if seen[c] {
				continue
			}
			seen[c] = true
			if p := byPid[c]; p.State != "Z" {
				out = append(out, p)
			}
			walk(c)
		}
	}
	walk(root)
	for _, p := range procs {
		if pgid > 0 && p.Pgid == pgid && !seen[p.Pid] && p.State != "Z" {
			seen[p.Pid] = true
			out = append(out, p)
		}
	}
	return out
}

// environHas reports whether process pid's environment holds kv.
func environHas(pid int, kv string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	for _, e := range bytes.Split(b, []byte{0}) {
		if string(e) == kv {
			return true
		}
	}
	return false
}
