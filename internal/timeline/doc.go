// Package timeline draws one graded run as a picture, the way porcupine's
// visualization draws a linearizability failure: a single self-contained
// HTML file, with the data embedded, that any browser opens offline. Where
// porcupine draws operations on clients, timeline draws processes: each
// process of the run is a lane from its start to its exit, its output
// lines are marks on the lane, lock and semaphore holds are bars, waits
// are hatched, and a Queue put or Pipe send is an arrow to its get or
// recv.
//
// HTML writes the picture; ChromeTrace writes the same data in the Chrome
// trace-event format, which ui.perfetto.dev and chrome://tracing open.
// Both read an engine.RunRecord: the run's output lines as the grader read
// them and the mp trace its processes wrote (docs/trace.md).
//
// # What the picture can and cannot know
//
// The trace says which process did what, and when. The output does not:
// every process of a run writes to the same pipe, and the grader only
// knows when it read each line. A line is therefore placed on a process's
// lane only when one of these holds, and the picture says which:
//
//   - its text names a traced pid, as `pid=<n>` (or a bare number that is
//     the pid of exactly one traced process), and that process had started
//     when the line was read. The course's line contracts put the writer's
//     pid there; a line that quotes another process's pid (as "main got
//     child 1 pid=<child>") lands on that other process's lane.
//   - only one process had started when the line was read.
//
// Every other line goes on the "output" lane. A line is drawn at the time
// the grader read it, a little after it was written.
//
// A put is paired with its get by the message id mp writes (msg=), which
// is exact with any number of producers and consumers, and mp traces a
// put before its item can be got. A trace without message ids (an older
// mp) is paired in first-in first-out order per queue, and per direction
// of a Pipe: exact with one producer and one consumer, approximate with
// several. That older mp traced a put once the item was on the queue, so
// a get could be traced before its put; such an arrow points back in
// time, and is dashed.
//
// A wait is drawn from the block event mp writes when a call cannot go on
// at once (a Get on an empty queue, an Acquire of a held lock) to the
// event of that call's return. A wait for a lock or a semaphore is drawn
// on the row of its hold, so that the wait leads into the hold; a timed
// call that gave up (ok=false) ends its wait with a red edge and a mark.
package timeline
