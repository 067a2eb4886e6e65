package class

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/forklore/forklore/internal/course"
	"github.com/forklore/forklore/internal/mptrace"
)

// Cell is one student's one exercise.
type Cell struct{ Student, Exercise string }

// Plan is what a grading of a class covers: every student and exercise,
// whichever shard grades which cell.
type Plan struct {
	Students  []string // sorted
	Exercises []string // in course order
}

// Cells returns every cell, student by student, each student's exercises
// in order: the order shards split.
func (p Plan) Cells() []Cell {
	var out []Cell
	for _, s := range p.Students {
		for _, e := range p.Exercises {
			out = append(out, Cell{s, e})
		}
	}
	return out
}

// Shard is one of N parts of a class, K from 1 to N. The zero value is
// the whole class.
type Shard struct {
	K int `json:"k"`
	N int `json:"n"`
}

// ParseShard parses "K/N", as in 2/4.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	sh := Shard{}
	var err1, err2 error
	sh.K, err1 = strconv.Atoi(k)
	sh.N, err2 = strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || sh.N < 1 || sh.K < 1 || sh.K > sh.N {
		return Shard{}, fmt.Errorf("class: shard %q is not K/N with 1 <= K <= N, as in 2/4", s)
	}
	return sh, nil
}

// Whole reports whether the shard is the whole class.
func (s Shard) Whole() bool { return s.N <= 1 }

// Has reports whether the cell at index i of Plan.Cells is the shard's.
func (s Shard) Has(i int) bool { return s.Whole() || i%s.N == s.K-1 }

func (s Shard) String() string {
	if s.Whole() {
		return "the whole class"
	}
	return fmt.Sprintf("shard %d/%d", s.K, s.N)
}

// CellSeed returns the base seed of a cell's grading: derived from the
// class's base seed and the cell alone, so that a cell gets the same
// perturbation in whichever shard, and two students the same exercise
// with different ones.
func CellSeed(base uint64, c Cell) uint64 {
	s := mptrace.Mix(mptrace.ProcessSeed(base, c.Student+"\x00"+c.Exercise))
	if s == 0 {
		s = 1 // zero would mean "pick a random seed"
	}
	return s
}

// Fingerprint identifies what decides the grades of exercises: their
// rules, metadata and stubs. Shards graded with different fingerprints
// are not one grading.
func Fingerprint(c *course.Course, exercises []*course.Exercise) string {
	h := sha256.New()
	for _, e := range exercises {
		for _, f := range []string{e.Rules, e.Material + "/exercise.json", e.Stub()} {
			b, err := c.ReadFile(f)
			if err != nil {
				b = []byte("(missing)")
			}
			fmt.Fprintf(h, "%s %d\n", f, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
