package paralleltest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

// fakeT is a testing.TB that keeps its errors instead of failing the test,
// to show what an assertion reports when it fails.
type fakeT struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

// report returns everything reported, one error per line group.
func (f *fakeT) report() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errors, "\n")
}

// newPool returns a pool that records into rec and is closed at the end
// of the test.
func newPool(t testing.TB, rec *timeline.Recorder, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p, err := pool.New(append(opts, pool.OnEvent(rec.Hook))...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// goID submits fn with the task ID id.
func goID(t testing.TB, p *pool.Pool, id string, fn func(context.Context) error, opts ...pool.TaskOption) {
	t.Helper()
	require.NoError(t, p.Go(fn, append(opts, pool.Label("", id))...))
}
