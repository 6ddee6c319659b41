package paralleltest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// orderT is the testing.TB of one run of a scenario under ExploreOrders.
// It keeps the run's failures and logs to itself, so that ExploreOrders
// reports only the first failing order, and it gives the run cleanups and
// a context of its own. Everything else goes to the test that called
// ExploreOrders, which it embeds.
type orderT struct {
	testing.TB
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	failed   bool
	skipped  bool
	out      strings.Builder
	helpers  map[string]bool // functions that called Helper
	cleanups []func()
}

func newOrderT(parent testing.TB) *orderT {
	ctx, cancel := context.WithCancel(parent.Context())
	return &orderT{TB: parent, ctx: ctx, cancel: cancel, helpers: make(map[string]bool)}
}

func (o *orderT) Error(args ...any)                 { o.log(fmt.Sprintln(args...)); o.Fail() }
func (o *orderT) Errorf(format string, args ...any) { o.log(fmt.Sprintf(format, args...)); o.Fail() }
func (o *orderT) Fatal(args ...any)                 { o.log(fmt.Sprintln(args...)); o.FailNow() }
func (o *orderT) Fatalf(format string, args ...any) { o.log(fmt.Sprintf(format, args...)); o.FailNow() }
func (o *orderT) Log(args ...any)                   { o.log(fmt.Sprintln(args...)) }
func (o *orderT) Logf(format string, args ...any)   { o.log(fmt.Sprintf(format, args...)) }
func (o *orderT) Skip(args ...any)                  { o.log(fmt.Sprintln(args...)); o.SkipNow() }
func (o *orderT) Skipf(format string, args ...any)  { o.log(fmt.Sprintf(format, args...)); o.SkipNow() }

// Fail marks the run failed.
func (o *orderT) Fail() {
	o.mu.Lock()
	o.failed = true
	o.mu.Unlock()
}

// FailNow marks the run failed and ends the scenario's goroutine, as
// testing.T.FailNow does.
func (o *orderT) FailNow() {
	o.Fail()
	runtime.Goexit()
}

// Failed reports whether the run failed.
func (o *orderT) Failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed
}

// SkipNow ends the scenario's goroutine; the run counts as passed.
func (o *orderT) SkipNow() {
	o.mu.Lock()
	o.skipped = true
	o.mu.Unlock()
	runtime.Goexit()
}

// Skipped reports whether the run was skipped.
func (o *orderT) Skipped() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.skipped
}

// Helper marks its caller as a helper: lines it logs are attributed to its
// caller.
func (o *orderT) Helper() {
	var pc [1]uintptr
	if runtime.Callers(2, pc[:]) == 1 {
		frame, _ := runtime.CallersFrames(pc[:]).Next()
		o.mu.Lock()
		o.helpers[frame.Function] = true
		o.mu.Unlock()
	}
}

// Cleanup registers f to run when the run's scenario returns, before the
// next order's run starts.
func (o *orderT) Cleanup(f func()) {
	o.mu.Lock()
	o.cleanups = append(o.cleanups, f)
	o.mu.Unlock()
}

// Context returns a context cancelled when the run's scenario returns,
// just before its cleanups run.
func (o *orderT) Context() context.Context { return o.ctx }

// Output returns a writer whose text the run keeps with its logs, as
// testing.T's Output writes to the stream of its Logs.
func (o *orderT) Output() io.Writer { return runOutput{o} }

// runOutput is the writer of orderT.Output.
type runOutput struct{ o *orderT }

func (w runOutput) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	return w.o.out.Write(p)
}

// log keeps a line, prefixed by the file and line of the code that logged
// it, skipping helpers, as testing does.
func (o *orderT) log(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := o.out.Len(); n > 0 && !strings.HasSuffix(o.out.String(), "\n") {
		o.out.WriteByte('\n') // after a partial line written to Output
	}
	fmt.Fprintf(&o.out, "%s: %s\n", o.caller(), strings.TrimSuffix(s, "\n"))
}

// caller returns "file.go:line" of the first frame up the stack that is
// neither orderT's nor a helper's. Called with o.mu held.
func (o *orderT) caller() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if !strings.Contains(f.Function, ".(*orderT).") && !o.helpers[f.Function] || !more {
			return fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line)
		}
	}
}

// run calls scenario on the calling goroutine, which it may end (FailNow,
// SkipNow), and then the run's cleanups. A panic fails the run with the
// panic's value and stack.
func (o *orderT) run(scenario func()) {
	defer o.finish()
	defer o.recoverPanic()
	scenario()
}

func (o *orderT) finish() {
	o.cancel()
	for {
		o.mu.Lock()
		n := len(o.cleanups)
		if n == 0 {
			o.mu.Unlock()
			return
		}
		f := o.cleanups[n-1]
		o.cleanups = o.cleanups[:n-1]
		o.mu.Unlock()
		func() {
			defer o.recoverPanic()
			f()
		}()
	}
}

// recoverPanic must be deferred directly, for recover to see the panic.
func (o *orderT) recoverPanic() {
	if v := recover(); v != nil {
		o.mu.Lock()
		fmt.Fprintf(&o.out, "panic: %v\n%s", v, debug.Stack())
		o.failed = true
		o.mu.Unlock()
	}
}

// output returns what the run logged, one line per entry.
func (o *orderT) output() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.TrimSuffix(o.out.String(), "\n")
}
