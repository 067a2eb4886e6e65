package mp

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forklore/forklore/mp/internal/shm"
)

// ErrPoolRunning is returned by Pool.Join before Close or Terminate; the
// text is Python's.
var ErrPoolRunning = errors.New("mp: Pool is still running")

// ErrPoolClosed is returned by Map, Apply and ApplyAsync after Close or
// Terminate; the text is Python's.
var ErrPoolClosed = errors.New("mp: Pool not running")

// PoolConfig configures a Pool. The zero value starts one worker per CPU
// with no initializer.
type PoolConfig struct {
	// Processes is the number of worker processes; 0 means runtime.NumCPU().
	Processes int

	// Initializer, if not nil, is a target registered with mp.Main that
	// each worker runs once, before its first task (Python's initializer).
	Initializer any

	// InitArgs are the Initializer's arguments. They are passed when the
	// workers start, so, unlike a task's arguments, they may hold handles:
	// a Lock, a Queue, a net.Listener the workers all accept on.
	InitArgs []any
}

// Pool is a fixed set of worker processes that run tasks, like Python's
// multiprocessing.Pool: Map, Apply and ApplyAsync hand a registered target
// and its arguments to whichever worker is free, and return its result.
// Workers are daemonic and are started once, so a Pool bounds the number of
// processes however many tasks arrive.
//
// Tasks travel through queues, so their arguments and results are copied
// and may not hold handles: pass those through PoolConfig.InitArgs.
//
// # A worker that dies
//
// As Python's Pool does, a Pool replaces a worker that dies (killed, or
// os.Exit in a task) with a new one, and prints one line naming the dead
// worker. A task that was running in it fails: its Map, Apply or
// AsyncResult returns a *DeadProcessError naming the worker
// (errors.Is(err, ErrProcessDied)) instead of waiting forever, as Python's
// would. A task the worker had not started yet goes to another worker. A
// worker whose initializer fails (exits with an error before its first
// task) is not replaced, so that a broken initializer does not start
// processes forever; when none is left, the tasks waiting fail.
//
// End a Pool with Close then Join, or with Terminate; Finish (and a
// child's exit) terminates a Pool left open. Its zero value is not usable:
// make one with NewPool.
type Pool struct {
	results *Queue[poolResult]
	init    string
	initArg []any

	mu       sync.Mutex
	changed  sync.Cond // signalled when a result is taken or a worker exits
	state    int       // poolRunning, poolClosed, poolTerminated
	workers  []*poolSlot
	backlog  []*poolJob // tasks not yet sent to a worker, oldest first
	jobs     map[int64]*poolJob
	nextID   int64
	taken    uint32 // results taken from the queue, for ordering deaths after them
	stopped  bool   // the result handler has returned
	handler  sync.WaitGroup
	stopping atomic.Bool
}

const (
	poolRunning = iota
	poolClosed
	poolTerminated
)

// A poolSlot is a place for one worker; a worker that dies is replaced in
// the same slot, with a new task queue.
type poolSlot struct {
	index    int
	proc     *Process         // nil once the worker has exited and not been replaced
	tasks    *Queue[poolTask] // this worker's own
	job      *poolJob         // the task sent to it and not answered yet
	stopSent bool
}

// A poolJob is a task waiting for its outcome.
type poolJob struct {
	task poolTask
	out  chan poolOutcome // buffered: receives exactly one outcome
	slot *poolSlot        // the worker it was sent to, or nil
}

// poolOutcome is a job's result data, or why it has none.
type poolOutcome struct {
	data []byte
	err  error
}

// poolTask is one unit of work: Count calls of the target Key, their
// arguments encoded one call after the other. An empty Key stops a worker.
type poolTask struct {
	ID    int64
	Key   string
	Count int
	Args  []byte
}

// poolResult answers a task: for each call, 0 and the encoded result, or 1
// and an error message.
type poolResult struct {
	ID   int64
	Data []byte
}

// poolWorker is the target of a Pool's worker processes. Each has a task
// queue of its own, so that the Pool knows which task a dead worker had:
// the one it sent it, started if the worker's state, a word in that
// queue's shared memory, says so.
type poolWorker struct {
	Tasks    *Queue[poolTask]
	Results  *Queue[poolResult]
	Init     string
	InitArgs []any
}

// The worker's target is noted here, in every process (a child runs this
// init too), so that mp.Main knows nothing of the Pool. Noting costs
// nothing at start; the target is named when first looked up.
func init() { noteTargets([]any{&poolWorker{}}) }

// openPools holds the Pools not yet joined, which Finish terminates before
// it terminates the daemonic children, as Python's exit handler terminates
// pools: otherwise a Pool would replace the workers Finish ends.
var openPools struct {
	sync.Mutex
	set map[*Pool]bool
}

// terminatePools terminates every Pool not yet joined; Finish calls it.
func terminatePools() {
	openPools.Lock()
	pools := make([]*Pool, 0, len(openPools.set))
	for p := range openPools.set {
		pools = append(pools, p)
	}
	openPools.Unlock()
	for _, p := range pools {
		_ = p.Terminate()
	}
}

// errPoolTerminated fails the tasks a Terminate abandons.
var errPoolTerminated = &misuse{"mp: the Pool was terminated before this task finished", ErrPoolClosed}

var poolCount atomic.Int64

// NewPool starts the worker processes.
func NewPool(cfg PoolConfig) (*Pool, error) {
	n := cfg.Processes
	if n == 0 {
		n = runtime.NumCPU()
	}
	if n < 0 {
		return nil, fmt.Errorf("mp: a Pool needs at least 1 process, not %d", n)
	}
	p := &Pool{
		results: NewQueue[poolResult](0),
		jobs:    make(map[int64]*poolJob),
	}
	p.changed.L = &p.mu
	if cfg.Initializer != nil {
		key, err := checkRegistered(cfg.Initializer)
		if err != nil {
			return nil, err
		}
		if _, err := argsFor(reflect.ValueOf(cfg.Initializer), cfg.InitArgs); err != nil {
			return nil, err
		}
		p.init, p.initArg = key, cfg.InitArgs
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range n {
		s := &poolSlot{index: i}
		p.workers = append(p.workers, s)
		if err := p.startWorker(s); err != nil {
			p.state = poolTerminated // the watchers must not replace these
			for _, s := range p.workers {
				if s.proc != nil {
					s.proc.Kill()
					s.proc.Join()
				}
			}
			return nil, err
		}
	}
	p.handler.Add(1)
	go p.handleResults()
	openPools.Lock()
	if openPools.set == nil {
		openPools.set = make(map[*Pool]bool)
	}
	openPools.set[p] = true
	openPools.Unlock()
	return p, nil
}

// startWorker starts a worker in slot s, with a fresh task queue; p.mu is
// held.
func (p *Pool) startWorker(s *poolSlot) error {
	s.tasks = NewQueue[poolTask](0)
	s.stopSent = false
	s.tasks.setOwnerState(-1)
	proc := NewProcess(&poolWorker{
		Tasks: s.tasks, Results: p.results,
		Init: p.init, InitArgs: p.initArg,
	})
	proc.Name = "PoolWorker-" + strconv.FormatInt(poolCount.Add(1), 10)
	proc.Daemon = true
	if err := proc.Start(); err != nil {
		return err
	}
	s.proc = proc
	go p.watch(s, proc)
	return nil
}

// Run is the life of a worker: run the initializer, then tasks until a
// sentinel. Its state says which task it runs, so that the Pool can tell a
// task it had started from one it had not; its results go straight into
// the queue, so that a result put before it dies is never lost.
func (w *poolWorker) Run() error {
	if w.Init != "" {
		init, ok := lookupTarget(w.Init)
		if !ok {
			return fmt.Errorf("mp: the pool initializer %s is not registered in the worker", w.Init)
		}
		vals, err := argsFor(init, w.InitArgs)
		if err != nil {
			return err
		}
		if err := call(init, vals); err != nil {
			return fmt.Errorf("mp: the pool initializer failed: %w", err)
		}
	}
	w.Tasks.setOwnerState(0)
	for {
		t, err := w.Tasks.Get()
		if err != nil {
			return err
		}
		if t.Key == "" {
			return nil
		}
		shm.Fault("pool.worker.got") // a task taken and not started
		w.Tasks.setOwnerState(t.ID)
		if err := w.Results.putDirect(poolResult{ID: t.ID, Data: runTask(t)}); err != nil {
			return err
		}
		w.Tasks.setOwnerState(0)
	}
}

// runTask runs the calls of a task and encodes their outcomes.
func runTask(t poolTask) []byte {
	e := encoder{refusal: "Pool result"}
	fail := func(msg string) { e.buf = append(e.buf, 1); e.appendString(msg) }
	fn, ok := lookupTarget(t.Key)
	if !ok || fn.Kind() != reflect.Func {
		for range t.Count {
			fail("mp: the pool task " + t.Key + " is not a registered function in the worker")
		}
		return e.buf
	}
	ft := fn.Type()
	d := decoder{buf: t.Args}
	for range t.Count {
		args := make([]reflect.Value, ft.NumIn())
		var derr error
		for i := range args {
			args[i] = reflect.New(ft.In(i)).Elem()
			if derr = d.decodeValue(args[i]); derr != nil {
				break
			}
		}
		if derr != nil {
			fail(derr.Error())
			continue
		}
		out, perr := callRecovering(fn, args)
		switch {
		case perr != nil:
			fail(perr.Error())
		case len(out) > 0 && out[len(out)-1].Type() == errorType && !out[len(out)-1].IsNil():
			fail(out[len(out)-1].Interface().(error).Error())
		default:
			mark := len(e.buf)
			e.buf = append(e.buf, 0)
			if len(out) > 0 && out[0].Type() != errorType {
				if err := e.encodeValue(out[0]); err != nil {
					e.buf = e.buf[:mark]
					fail(err.Error())
				}
			}
		}
	}
	return e.buf
}

func callRecovering(fn reflect.Value, args []reflect.Value) (out []reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mp: the pool task %s panicked in %s: %v", funcName(fn), CurrentProcess().Name, r)
		}
	}()
	return fn.Call(args), nil
}

// handleResults hands each result to the caller waiting for it and gives
// the worker that sent it its next task, until join stops it with a result
// of ID 0. It also polls for the stop, so that a stop result that could not
// be put (the queue full) still ends it.
func (p *Pool) handleResults() {
	defer p.handler.Done()
	for {
		r, err := p.results.get(deadlineAfter(50*time.Millisecond), internalWait)
		p.mu.Lock()
		if err == nil {
			p.taken++
			if r.ID != 0 {
				p.deliver(r)
			}
		}
		var stop bool
		switch {
		case err == nil:
			stop = r.ID == 0 // join's stop
		case errors.Is(err, ErrEmpty):
			stop = p.stopping.Load()
		default:
			stop = true
		}
		if stop {
			p.stopped = true
		}
		p.changed.Broadcast()
		p.mu.Unlock()
		if stop {
			return
		}
	}
}

// deliver hands result r to its job; p.mu is held.
func (p *Pool) deliver(r poolResult) {
	job := p.jobs[r.ID]
	if job == nil {
		return // failed already: its worker was taken for dead, or the Pool terminated
	}
	delete(p.jobs, r.ID)
	if job.slot != nil && job.slot.job == job {
		job.slot.job = nil
	}
	job.out <- poolOutcome{data: r.Data}
	p.dispatch()
}

// dispatch sends waiting tasks to idle workers, and, once the Pool is
// closed and nothing waits, the stop to each idle worker; p.mu is held.
func (p *Pool) dispatch() {
	for _, s := range p.workers {
		if s.proc == nil || s.job != nil || s.stopSent {
			continue
		}
		if len(p.backlog) > 0 {
			job := p.backlog[0]
			p.backlog = p.backlog[1:]
			s.job, job.slot = job, s
			if err := s.tasks.Put(job.task); err != nil {
				s.job, job.slot = nil, nil
				p.finish(job, err)
			}
			continue
		}
		if p.state == poolClosed {
			s.stopSent = true
			_ = s.tasks.Put(poolTask{})
		}
	}
}

// finish gives job an outcome without a result; p.mu is held.
func (p *Pool) finish(job *poolJob, err error) {
	delete(p.jobs, job.task.ID)
	job.out <- poolOutcome{err: err}
}

// watch waits for the worker in slot s to exit and then deals with it,
// after every result the worker put before it died has been taken, so
// that a task whose result is in the queue is never taken for lost.
func (p *Pool) watch(s *poolSlot, proc *Process) {
	proc.Join()
	put := p.results.ring.Puts()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.state != poolTerminated && !p.stopped && int32(p.taken-put) < 0 {
		p.changed.Wait()
	}
	p.exited(s, proc)
	p.changed.Broadcast()
}

// exited deals with the exit of proc, the worker in slot s; p.mu is held.
func (p *Pool) exited(s *poolSlot, proc *Process) {
	if s.proc != proc {
		return
	}
	s.proc = nil
	// Whatever is still in its queue is not for anyone else.
	s.tasks.noFlush.Store(true)
	code, _ := proc.ExitCode()
	if p.state == poolTerminated || s.stopSent && s.job == nil && code == 0 {
		return
	}
	state := s.tasks.ownerState()
	if job := s.job; job != nil {
		s.job, job.slot = nil, nil
		if state == job.task.ID {
			p.finish(job, &DeadProcessError{Pid: proc.Pid(), Name: proc.Name,
				What: "while running this task (exit code " + exitCodeName(code) + ")"})
		} else {
			// It died before it started the task: another worker runs it.
			p.backlog = append([]*poolJob{job}, p.backlog...)
		}
	}
	if state == -1 && code == 1 {
		// The initializer failed; the worker said why on its stderr.
		diagnose("the Pool's worker %s exited with code 1 before its first task (its initializer failed?), so it is not replaced", describePid(proc.Pid(), proc.Name))
		p.failIfNoWorkers()
		return
	}
	if p.state == poolClosed && len(p.jobs) == 0 {
		diagnose("the Pool's worker %s died (exit code %s); the Pool is closed and has no task left, so it is not replaced", describePid(proc.Pid(), proc.Name), exitCodeName(code))
		return
	}
	if err := p.startWorker(s); err != nil {
		diagnose("the Pool's worker %s died (exit code %s), and no worker could be started in its place: %v", describePid(proc.Pid(), proc.Name), exitCodeName(code), err)
		p.failIfNoWorkers()
		return
	}
	diagnose("the Pool's worker %s died (exit code %s); %s replaces it", describePid(proc.Pid(), proc.Name), exitCodeName(code), s.proc.Name)
	p.dispatch()
}

// failIfNoWorkers fails every task waiting when no worker is left to run
// them; p.mu is held.
func (p *Pool) failIfNoWorkers() {
	for _, s := range p.workers {
		if s.proc != nil {
			return
		}
	}
	for _, job := range p.backlog {
		p.finish(job, fmt.Errorf("mp: no Pool worker is left to run this task: see the lines above"))
	}
	p.backlog = nil
}

// submit queues one task and returns the channel its outcome comes on.
func (p *Pool) submit(key string, count int, args []byte) (chan poolOutcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != poolRunning {
		return nil, ErrPoolClosed
	}
	p.nextID++
	job := &poolJob{task: poolTask{ID: p.nextID, Key: key, Count: count, Args: args}, out: make(chan poolOutcome, 1)}
	p.jobs[job.task.ID] = job
	p.backlog = append(p.backlog, job)
	p.dispatch()
	return job.out, nil
}

// checkPoolFunc checks that fn can run in a worker and returns its key.
func checkPoolFunc(fn any, result reflect.Type) (string, error) {
	key, err := checkRegistered(fn)
	if err != nil {
		return "", err
	}
	ft := reflect.TypeOf(fn)
	if ft.Kind() != reflect.Func {
		return "", fmt.Errorf("mp: a Pool runs functions, not a %s", ft)
	}
	if result != nil {
		if ft.NumOut() == 0 || ft.Out(0) == errorType {
			return "", fmt.Errorf("mp: the pool task %s returns no result to give as a %s", key, result)
		}
		if !ft.Out(0).AssignableTo(result) {
			return "", fmt.Errorf("mp: the pool task %s returns a %s, not a %s", key, ft.Out(0), result)
		}
	}
	return key, nil
}

// decodeOutcomes decodes count outcomes of a task into out (a slice of R,
// starting at index at); it returns the first error a call reported.
func decodeOutcomes(data []byte, count int, out reflect.Value, at int, fnResult reflect.Type) error {
	d := decoder{buf: data}
	var first error
	for i := range count {
		status, err := d.byte()
		if err != nil {
			return err
		}
		if status == 1 {
			msg, err := d.string()
			if err != nil {
				return err
			}
			if first == nil {
				first = errors.New(msg)
			}
			continue
		}
		if fnResult == nil {
			continue
		}
		v := reflect.New(fnResult).Elem()
		if err := d.decodeValue(v); err != nil {
			return err
		}
		out.Index(at + i).Set(v)
	}
	return first
}

// Map calls fn on every item in the pool's workers and returns the
// results in the order of items (Python's Pool.map). Items go to workers in
// chunks, as in Python. fn must be registered with mp.Main. If a call
// panics, Map returns the results it has and the first panic as an error;
// if a worker dies while running a chunk, the error is a *DeadProcessError
// naming it. For a function that also returns an error, use ApplyAsync per
// item.
func Map[T, R any](p *Pool, fn func(T) R, items []T) ([]R, error) {
	key, err := checkPoolFunc(fn, reflect.TypeFor[R]())
	if err != nil {
		return nil, err
	}
	chunk := len(items) / (len(p.workers) * 4)
	if len(items)%(len(p.workers)*4) != 0 || chunk == 0 {
		chunk++
	}
	type sent struct {
		c     chan poolOutcome
		at, n int
	}
	var chunks []sent
	for at := 0; at < len(items); at += chunk {
		n := min(chunk, len(items)-at)
		e := encoder{refusal: "Pool task"}
		for _, it := range items[at : at+n] {
			if err := e.encodeValue(reflect.ValueOf(&it).Elem()); err != nil {
				return nil, err
			}
		}
		c, err := p.submit(key, n, e.buf)
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, sent{c, at, n})
	}
	out := make([]R, len(items))
	ov := reflect.ValueOf(out)
	var first error
	for _, s := range chunks {
		r := <-s.c
		err := r.err
		if err == nil {
			err = decodeOutcomes(r.data, s.n, ov, s.at, reflect.TypeFor[R]())
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

// AsyncResult is the result of ApplyAsync, like Python's AsyncResult.
type AsyncResult[R any] struct {
	c    chan poolOutcome
	once sync.Once
	done chan struct{}
	val  R
	err  error
}

// ApplyAsync runs fn(args...) in a worker and returns at once; the result
// comes through the AsyncResult. fn must be registered with mp.Main, and
// its first result must be assignable to R (use any when it has none).
func ApplyAsync[R any](p *Pool, fn any, args ...any) *AsyncResult[R] {
	a := &AsyncResult[R]{done: make(chan struct{})}
	fail := func(err error) *AsyncResult[R] {
		a.err = err
		a.once.Do(func() { close(a.done) })
		return a
	}
	var rt reflect.Type
	if ft := reflect.TypeOf(fn); ft != nil && ft.Kind() == reflect.Func && ft.NumOut() > 0 && ft.Out(0) != errorType {
		rt = reflect.TypeFor[R]()
	}
	key, err := checkPoolFunc(fn, rt)
	if err != nil {
		return fail(err)
	}
	vals, err := argsFor(reflect.ValueOf(fn), args)
	if err != nil {
		return fail(err)
	}
	e := encoder{refusal: "Pool task"}
	for _, v := range vals {
		if err := e.encodeValue(v); err != nil {
			return fail(err)
		}
	}
	c, err := p.submit(key, 1, e.buf)
	if err != nil {
		return fail(err)
	}
	a.c = c
	go func() {
		r := <-c
		out := make([]R, 1)
		var fr reflect.Type
		if rt != nil {
			fr = reflect.TypeOf(fn).Out(0)
		}
		if a.err = r.err; a.err == nil {
			a.err = decodeOutcomesInto(r.data, reflect.ValueOf(out), fr)
		}
		a.val = out[0]
		a.once.Do(func() { close(a.done) })
	}()
	return a
}

// decodeOutcomesInto decodes one outcome whose value has type fr into
// out[0] (of type R, to which fr is assignable).
func decodeOutcomesInto(data []byte, out reflect.Value, fr reflect.Type) error {
	if fr == nil || fr == out.Type().Elem() {
		return decodeOutcomes(data, 1, out, 0, fr)
	}
	tmp := reflect.MakeSlice(reflect.SliceOf(fr), 1, 1)
	err := decodeOutcomes(data, 1, tmp, 0, fr)
	out.Index(0).Set(tmp.Index(0))
	return err
}

// Apply runs fn(args...) in a worker and waits for its result
// (Python's Pool.apply).
func Apply[R any](p *Pool, fn any, args ...any) (R, error) {
	return ApplyAsync[R](p, fn, args...).Get()
}

// Get waits for the result.
func (a *AsyncResult[R]) Get() (R, error) {
	<-a.done
	return a.val, a.err
}

// GetTimeout waits at most d for the result; if it has not come, it returns
// an error that says so.
func (a *AsyncResult[R]) GetTimeout(d time.Duration) (R, error) {
	if !a.WaitTimeout(d) {
		var zero R
		return zero, fmt.Errorf("mp: no result after %v", d)
	}
	return a.val, a.err
}

// Ready reports whether the result has come.
func (a *AsyncResult[R]) Ready() bool { return isClosed(a.done) }

// Wait waits for the result.
func (a *AsyncResult[R]) Wait() { <-a.done }

// WaitTimeout waits at most d for the result and reports whether it came.
func (a *AsyncResult[R]) WaitTimeout(d time.Duration) bool {
	if d <= 0 {
		return a.Ready()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-a.done:
		return true
	case <-t.C:
		return false
	}
}

// Close stops the pool from taking tasks; the workers exit once they have
// run the tasks already submitted.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != poolRunning {
		return nil
	}
	p.state = poolClosed
	p.dispatch()
	return nil
}

// Terminate stops the workers at once (SIGTERM), abandoning the tasks they
// run or have not started: those fail with an error matching
// ErrPoolClosed. (Python's never complete.)
func (p *Pool) Terminate() error {
	p.mu.Lock()
	p.state = poolTerminated
	for _, job := range p.jobs {
		p.finish(job, errPoolTerminated)
	}
	p.backlog = nil
	var procs []*Process
	for _, s := range p.workers {
		if s.proc != nil {
			procs = append(procs, s.proc)
			// What is still buffered for a worker must not hold up this
			// process's exit.
			s.tasks.noFlush.Store(true)
		}
		s.job = nil
	}
	p.mu.Unlock()
	p.results.noFlush.Store(true)
	for _, w := range procs {
		w.Terminate()
	}
	return p.join()
}

// Join waits for the workers to exit. Call Close or Terminate first, or Join
// returns ErrPoolRunning.
func (p *Pool) Join() error {
	p.mu.Lock()
	running := p.state == poolRunning
	p.mu.Unlock()
	if running {
		return ErrPoolRunning
	}
	return p.join()
}

func (p *Pool) join() error {
	p.mu.Lock()
	for len(p.livePids()) > 0 {
		p.changed.Wait()
	}
	p.mu.Unlock()
	// Every result is in; stop the handler, at once if the stop result fits
	// in the queue, else at its next poll. (A worker terminated in the
	// middle of a Put leaves the queue's lock held until a taker notices,
	// and a buffered stop result must not hold up this process's exit.)
	p.stopping.Store(true)
	p.results.tryPut(poolResult{})
	p.handler.Wait()
	openPools.Lock()
	delete(openPools.set, p)
	openPools.Unlock()
	return nil
}

// Pids returns the pids of the workers running now: after a worker died,
// its replacement's.
func (p *Pool) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.livePids()
}

func (p *Pool) livePids() []int {
	var pids []int
	for _, s := range p.workers {
		if s.proc != nil {
			pids = append(pids, s.proc.Pid())
		}
	}
	return pids
}
