package engine

import (
	"encoding/json"
	"os"
	"time"
)

// Every run of a program goes through a shim: the grader's own binary,
// executed again in shim mode, between the grader and the program, much as
// containerd runs a shim per container. The shim
//
//   - is a child subreaper, so that every process the program starts, even
//     one that leaves its process group or its session, stays below it and
//     is found, reported and killed when the run ends;
//   - applies the run's memory and CPU limits (a memory cgroup where one
//     can be made, else RLIMIT_DATA; RLIMIT_CPU);
//   - watches the grader: when the grader dies, however it dies, the shim
//     kills the whole run, so nothing outlives grading;
//   - is what a program hits with `kill $PPID`: the grader survives it and
//     reports it.
//
// The grader talks to the shim over two pipes: one byte per command to the
// shim (fd 3), one JSON object per line back (fd 4).

// shimEnv holds the shim's configuration; its presence means shim mode.
const shimEnv = "FORKLORE_SHIM"

// runEnv marks every process of a run with the run's id.
const runEnv = "FORKLORE_RUN"

// shimConfig is what the grader tells a shim.
type shimConfig struct {
	Argv  []string
	Dir   string
	Env   []string
	Mem   int64         // bytes per process tree (cgroup) or per process (rlimit); 0 for none
	CPU   time.Duration // CPU time per process; 0 for none
	Race  bool          // a race-detector build: no address-space limits
	Grace time.Duration // how long descendants may outlive the main process
	// Work is the grading's temporary folder: if the grader dies, the
	// shim removes it after killing the run.
	Work string
}

// Commands to the shim.
const (
	shimTimeout = 't' // time is up: SIGQUIT, SIGTERM, then SIGKILL to the group
	shimStop    = 's' // stop a server: SIGTERM, then SIGKILL
	shimKill    = 'k' // kill the run now
)

// shimStatus is one line from the shim.
type shimStatus struct {
	Started int        `json:"started,omitempty"` // the program's pid, also its process group
	Error   string     `json:"error,omitempty"`   // the program could not be started
	Alive   []Proc     `json:"alive,omitempty"`   // at a timeout, before any signal
	Exited  *exitState `json:"exited,omitempty"`  // the main process ended
	Strays  []Proc     `json:"strays,omitempty"`  // processes still alive after the grace
	Done    bool       `json:"done,omitempty"`    // the last line: nothing of the run is left
	Memory  string     `json:"memory,omitempty"`  // how the memory limit is applied
	OOM     bool       `json:"oom,omitempty"`     // the memory limit was hit
}

type exitState struct {
	Code   int   `json:"code"`
	Signal int   `json:"signal,omitempty"`
	CPU    int64 `json:"cpu_ns"`
	MaxRSS int64 `json:"maxrss_kb"`
}

// RunShim runs this process as a shim if the grader started it as one, and
// then exits; otherwise it returns at once. Call it first in the main
// function of every binary that grades (cmd/grade and test binaries).
func RunShim() {
	v := os.Getenv(shimEnv)
	if v == "" {
		return
	}
	var cfg shimConfig
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		os.Stderr.WriteString("grade shim: bad configuration: " + err.Error() + "\n")
		os.Exit(3)
	}
	os.Exit(shim(cfg))
}
