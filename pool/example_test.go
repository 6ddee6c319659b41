package pool_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/braid-go/braid/pool"
)

func Example() {
	p, err := pool.New(pool.MaxWorkers(4))
	if err != nil {
		panic(err)
	}
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	var mu sync.Mutex
	var squares []int
	for i := 1; i <= 5; i++ {
		_ = p.Go(func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			squares = append(squares, i*i)
			return nil
		})
	}
	if err := p.Wait(); err != nil {
		fmt.Println("error:", err)
	}
	slices.Sort(squares)
	fmt.Println(squares)
	// Output: [1 4 9 16 25]
}

// A task submits work to its own pool and waits for it. At a limit of 1
// this deadlocks with errgroup; here the waiting parent gives its slot to
// the child.
func ExampleTask_Wait() {
	p, _ := pool.New(pool.MaxWorkers(1))
	defer func() { _ = p.Close() }() // Submit tasks report their errors on their handles

	parent, _ := p.Submit(context.Background(), func(ctx context.Context) error {
		child, err := p.Submit(ctx, func(context.Context) error {
			fmt.Println("child runs while its parent waits")
			return nil
		})
		if err != nil {
			return err
		}
		return child.Wait(ctx)
	})
	fmt.Println(parent.Wait(context.Background()), parent.State())
	// Output:
	// child runs while its parent waits
	// <nil> Succeeded
}

// A sub-pool has its own limit and counts against its parent's.
func ExamplePool_Sub() {
	root, _ := pool.New(pool.MaxWorkers(8))
	// Wait has reported the tasks' errors: Close has none left to report.
	defer func() { _ = root.Close() }()
	exports, _ := root.Sub(pool.MaxWorkers(2)) // at most 2 of the root's 8

	for range 6 {
		_ = exports.Go(func(context.Context) error { return nil })
	}
	fmt.Println(exports.Wait(), exports.Stats().Succeeded)
	// Output: <nil> 6
}

func ExamplePool_GoAll() {
	p, _ := pool.New(pool.MaxWorkers(4))
	defer func() { _ = p.Close() }() // Wait below reports the tasks' errors

	squares := make([]int, 1000)
	fns := make([]func(context.Context) error, len(squares))
	for i := range fns {
		fns[i] = func(context.Context) error { squares[i] = i * i; return nil }
	}
	n, err := p.GoAll(fns...) // one hold of the pool's lock per 64 tasks
	fmt.Println(n, err)
	fmt.Println(p.Wait(), squares[999])
	// Output:
	// 1000 <nil>
	// <nil> 998001
}

func ExamplePool_TryGo() {
	p, _ := pool.New(pool.MaxWorkers(1), pool.QueueSize(1))
	defer func() { _ = p.Close() }() // both tasks succeed: Close waits for them and has nothing to report

	hold := make(chan struct{})
	started := make(chan struct{})
	_ = p.Go(func(context.Context) error { close(started); <-hold; return nil })
	<-started
	_ = p.Go(func(context.Context) error { return nil }) // fills the queue

	err := p.TryGo(func(context.Context) error { return nil })
	fmt.Println(errors.Is(err, pool.ErrQueueFull))
	close(hold)
	// Output: true
}

func ExamplePanicError() {
	p, _ := pool.New()
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	_ = p.Go(func(context.Context) error { panic("bad input") })
	err := p.Wait()

	var pe *pool.PanicError
	if errors.As(err, &pe) {
		fmt.Println("recovered:", pe.Value)
	}
	// Output: recovered: bad input
}

// Priority tasks go to the front of the queue but still wait for a slot.
func ExamplePriority() {
	p, _ := pool.New(pool.MaxWorkers(1))
	defer func() { _ = p.Close() }() // Wait has reported the tasks' errors: Close has none left to report

	hold := make(chan struct{})
	started := make(chan struct{})
	_ = p.Go(func(context.Context) error { close(started); <-hold; return nil })
	<-started
	for _, name := range []string{"nightly-1", "nightly-2"} {
		_ = p.Go(func(context.Context) error { fmt.Println(name); return nil })
	}
	_ = p.Go(func(context.Context) error { fmt.Println("interactive"); return nil }, pool.Priority())
	close(hold)
	_ = p.Wait()
	// Output:
	// interactive
	// nightly-1
	// nightly-2
}

// OnEvent sends every state change of every task to a hook, in order;
// EventBuffer bounds how many may wait for a slow hook.
func ExampleOnEvent() {
	var mu sync.Mutex
	var states []string
	p, _ := pool.New(pool.MaxWorkers(1), pool.EventBuffer(1024), pool.OnEvent(func(e pool.Event) {
		mu.Lock()
		defer mu.Unlock()
		states = append(states, e.ID+":"+e.State.String())
	}))
	_ = p.Go(func(context.Context) error { return nil }, pool.Label("", "a"))
	_ = p.Wait() // events of the tasks waited for are delivered when Wait returns
	fmt.Println(states)
	// Output: [a:Waiting a:Running a:Succeeded]
}

// Times splits a task's life: blocked on its name, waiting for a slot,
// running. Only running is the task's own work.
func ExampleTask_Times() {
	p, _ := pool.New(pool.MaxWorkers(1))
	release := make(chan struct{})
	_ = p.Go(func(context.Context) error { <-release; return nil }, pool.Name("report"))
	task, _ := p.Submit(context.Background(), func(context.Context) error { return nil }, pool.Name("report"))
	fmt.Println(task.State()) // waits for the name, holding no slot
	close(release)
	_ = task.Wait(context.Background())
	times := task.Times()
	fmt.Println(task.State(), times.Blocked > 0, times.Ran >= 0)
	_ = p.Close()
	// Output:
	// Blocked
	// Succeeded true true
}

// Panics lists every panic in an error tree; errors.As finds the first.
func ExamplePanics() {
	p, _ := pool.New(pool.MaxWorkers(1))
	_ = p.Go(func(context.Context) error { panic("first") })
	_ = p.Go(func(context.Context) error { panic("second") })
	for _, pe := range pool.Panics(p.Wait()) {
		fmt.Println(pe.Value)
	}
	// Output:
	// first
	// second
}
