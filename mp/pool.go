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
// and may not hold handles: pass those through PoolConfig.InitArgs. A task
// whose worker dies (killed, or os.Exit in the task) never completes, and
// its caller waits forever, as in Python.
//
// End a Pool with Close then Join, or with Terminate. Its zero value is not
// usable: make one with NewPool.
type Pool struct {
	tasks   *Queue[poolTask]
	results *Queue[poolResult]
	workers []*Process

	mu       sync.Mutex
	state    int // poolRunning, poolClosed, poolTerminated
	pending  map[int64]chan poolResult
	nextID   int64
	handler  sync.WaitGroup
	stopping atomic.Bool
}

const (
	poolRunning = iota
	poolClosed
	poolTerminated
)

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

// poolWorker is the target of a Pool's worker processes.
type poolWorker struct {
	Tasks    *Queue[poolTask]
	Results  *Queue[poolResult]
	Init     string
	InitArgs []any
}

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
	w := &poolWorker{}
	if cfg.Initializer != nil {
		key, err := checkRegistered(cfg.Initializer)
		if err != nil {
			return nil, err
		}
		if _, err := argsFor(reflect.ValueOf(cfg.Initializer), cfg.InitArgs); err != nil {
			return nil, err
		}
		w.Init, w.InitArgs = key, cfg.InitArgs
	}
	p := &Pool{
		tasks:   NewQueue[poolTask](0),
		results: NewQueue[poolResult](0),
		pending: make(map[int64]chan poolResult),
	}
	w.Tasks, w.Results = p.tasks, p.results
	base := poolCount.Add(int64(n)) - int64(n)
	for i := range n {
		proc := NewProcess(w)
		proc.Name = "PoolWorker-" + strconv.FormatInt(base+int64(i)+1, 10)
		proc.Daemon = true
		if err := proc.Start(); err != nil {
			for _, q := range p.workers {
				q.Kill()
				q.Join()
			}
			return nil, err
		}
		p.workers = append(p.workers, proc)
	}
	p.handler.Add(1)
	go p.handleResults()
	return p, nil
}

// Run is the life of a worker: run the initializer, then tasks until a
// sentinel.
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
	for {
		t, err := w.Tasks.Get()
		if err != nil {
			return err
		}
		if t.Key == "" {
			return nil
		}
		if err := w.Results.Put(poolResult{ID: t.ID, Data: runTask(t)}); err != nil {
			return err
		}
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

// handleResults hands each result to the caller waiting for it, until
// join stops it with a result of ID 0. It also polls for the stop: a worker
// terminated in the middle of a Put may have left the results queue
// unusable, and the stop result stuck behind it.
func (p *Pool) handleResults() {
	defer p.handler.Done()
	for {
		r, err := p.results.GetTimeout(50 * time.Millisecond)
		if errors.Is(err, ErrEmpty) {
			if p.stopping.Load() {
				return
			}
			continue
		}
		if err != nil || r.ID == 0 {
			return
		}
		p.mu.Lock()
		c := p.pending[r.ID]
		delete(p.pending, r.ID)
		p.mu.Unlock()
		if c != nil {
			c <- r
		}
	}
}

// submit queues one task and returns the channel its result comes on.
func (p *Pool) submit(key string, count int, args []byte) (chan poolResult, error) {
	p.mu.Lock()
	if p.state != poolRunning {
		p.mu.Unlock()
		return nil, ErrPoolClosed
	}
	p.nextID++
	id := p.nextID
	c := make(chan poolResult, 1)
	p.pending[id] = c
	p.mu.Unlock()
	if err := p.tasks.Put(poolTask{ID: id, Key: key, Count: count, Args: args}); err != nil {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
		return nil, err
	}
	return c, nil
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
// panics, Map returns the results it has and the first panic as an error.
// For a function that also returns an error, use ApplyAsync per item.
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
		c     chan poolResult
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
		if err := decodeOutcomes(r.Data, s.n, ov, s.at, reflect.TypeFor[R]()); err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

// AsyncResult is the result of ApplyAsync, like Python's AsyncResult.
type AsyncResult[R any] struct {
	c    chan poolResult
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
		a.err = decodeOutcomesInto(r.Data, reflect.ValueOf(out), fr)
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
	for range p.workers {
		if err := p.tasks.Put(poolTask{}); err != nil {
			return err
		}
	}
	return nil
}

// Terminate stops the workers at once (SIGTERM), abandoning the tasks they
// run; callers waiting for those results wait forever.
func (p *Pool) Terminate() error {
	p.mu.Lock()
	p.state = poolTerminated
	p.mu.Unlock()
	// The queues are abandoned with the workers: what is still buffered for
	// them must not hold up this process's exit.
	p.tasks.noFlush.Store(true)
	p.results.noFlush.Store(true)
	for _, w := range p.workers {
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
	for _, w := range p.workers {
		w.Join()
	}
	// Every result is in; stop the handler, at once if the stop result fits
	// in the queue, else at its next poll. (A worker terminated in the
	// middle of a Put leaves the queue's lock held, and a buffered stop
	// result would then hold up this process's exit forever.)
	p.stopping.Store(true)
	p.results.tryPut(poolResult{})
	p.handler.Wait()
	return nil
}

// Pids returns the workers' pids.
func (p *Pool) Pids() []int {
	pids := make([]int, len(p.workers))
	for i, w := range p.workers {
		pids[i] = w.Pid()
	}
	return pids
}
