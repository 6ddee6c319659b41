package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Kinds is the registry of task kinds a node can run. Every replica of a
// cluster registers the same kinds under the same names before it opens
// its [Node]: a task names its kind, and whichever replica takes it looks
// the function up here.
type Kinds struct {
	mu     sync.RWMutex
	byName map[string]*kindEntry
}

// kindEntry is a registered kind with its types erased: it decodes the
// arguments, calls the function and encodes the output.
type kindEntry struct {
	name  string
	limit int
	run   func(ctx context.Context, args []byte) ([]byte, error)
}

// NewKinds returns an empty registry. A zero Kinds is one too.
func NewKinds() *Kinds { return &Kinds{byName: make(map[string]*kindEntry)} }

// Kind is a registered task kind: a function from arguments of type A to
// a result of type R, both of which travel as JSON. A closure cannot
// cross machines; a kind's name and its arguments can.
type Kind[A, R any] struct{ name string }

// Name returns the name the kind was registered under.
func (k Kind[A, R]) Name() string { return k.name }

// KindOption configures a kind at registration.
type KindOption func(*kindEntry)

// KindLimit caps how many tasks of the kind run at once across the whole
// cluster, whatever replica runs them; tasks over the limit wait in a
// FIFO line holding no worker. A task with its own [Name], or in a group
// with [MaxWorkers], waits in that line instead. 0 means no limit.
func KindLimit(n int) KindOption { return func(e *kindEntry) { e.limit = n } }

// Register adds a kind to ks and returns the handle that makes tasks of
// it. It panics on an empty or duplicate name or a nil function: those
// are programming errors, found at start-up.
func Register[A, R any](ks *Kinds, name string, fn func(ctx context.Context, args A) (R, error), opts ...KindOption) Kind[A, R] {
	if fn == nil {
		panic("cluster: nil kind function")
	}
	if name == "" {
		panic("cluster: empty kind name")
	}
	e := &kindEntry{name: name, run: func(ctx context.Context, raw []byte) ([]byte, error) {
		var args A
		if err := json.Unmarshal(raw, &args); err != nil {
			return nil, fmt.Errorf("cluster: kind %q: decode arguments: %w", name, err)
		}
		out, err := fn(ctx, args)
		enc, jerr := json.Marshal(out)
		if jerr != nil && err == nil {
			err = fmt.Errorf("cluster: kind %q: encode output: %w", name, jerr)
		}
		return enc, err
	}}
	for _, o := range opts {
		o(e)
	}
	if ks == nil {
		panic("cluster: nil kind registry")
	}
	if e.limit < 0 {
		panic(fmt.Sprintf("cluster: kind %q: negative limit %d", name, e.limit))
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.byName == nil {
		ks.byName = make(map[string]*kindEntry)
	}
	if _, dup := ks.byName[name]; dup {
		panic(fmt.Sprintf("cluster: kind %q registered twice", name))
	}
	ks.byName[name] = e
	return Kind[A, R]{name: name}
}

func (ks *Kinds) lookup(name string) *kindEntry {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.byName[name]
}

// Call is one invocation of a kind, with its arguments, not yet
// submitted; R is the kind's result type. Make one with [Kind.Call].
type Call[R any] struct {
	kind string
	args any
	opts taskConfig
}

// Call returns an invocation of k with args, to submit alone ([Submit])
// or in a [Group].
func (k Kind[A, R]) Call(args A, opts ...TaskOption) Call[R] {
	if k.name == "" {
		panic("cluster: call of a zero Kind (use Register)")
	}
	c := Call[R]{kind: k.name, args: args}
	for _, o := range opts {
		o(&c.opts)
	}
	return c
}
