// Package class grades a class: a folder of students' submissions,
// every exercise of each against the grader's own rules, into a gradebook
// with a row per student and a column per exercise. It is to one student's
// `grade` what `go test ./...` is to `go test` in one package: the same
// engine, many targets, one table.
//
// # Submissions
//
// Every folder of the class folder is one student, named by the folder:
// a checkout of the course (it holds exercises/), just the exercises/
// folder (it holds NN-name folders), or either one folder down (an
// unpacked zip). Each exercise of a submission is one cell:
//
//   - missing: the submission has no .go file for it;
//   - unchanged: its .go files are the stub's, byte for byte; the course
//     test proves every stub fails, so it is not run;
//   - graded: its .go files are built in the exercise's place in the
//     grader's course (engine.Params.Source) and judged by the grader's
//     rules. A compile error is a failed verdict with its place.
//
// A broken submission is a row with reasons, never an abort.
//
// # Trust
//
// Only the .go files of exercises/NN-name/ come from the student. The
// rules, the mp package, go.mod and the grader are the teacher's: a
// submission's testdata/, mp/, go.mod or cmd/ are never read, and a
// submission whose copies differ gets a note naming them. The student's
// program still runs as the grader's user: grade a class in a throwaway
// machine or container (docs/teaching.md).
//
// # Shards
//
// A class is Plan.Cells in a fixed order (students by name, exercises in
// course order); shard K of N grades the cells whose index is K-1 modulo N,
// and every cell's seed derives from the base seed and the cell alone, so
// that a cell is graded alike whichever shard grades it. Merge checks that
// the shards are one grading split N ways, every shard once, and joins
// them into the Results an unsharded run writes.
package class
