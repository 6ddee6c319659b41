package parallel_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
)

// TestWaitOnWhatTheWaiterHoldsIsADeadlock: a braid task holding a name
// (or a resource) runs a group, a plan or a Map on its own pool whose task
// needs that key. Waiting for it could never end: Run returns an error
// that is pool.ErrDeadlock, the task that needs the key ends Skipped
// without running, and the key passes on once the holder ends. With a key
// the holder does not hold, the same run succeeds.
func TestWaitOnWhatTheWaiterHoldsIsADeadlock(t *testing.T) {
	runs := map[string]func(ctx context.Context, p *pool.Pool, key pool.TaskOption, ran *bool) (skipped bool, err error){
		"group": func(ctx context.Context, p *pool.Pool, key pool.TaskOption, ran *bool) (bool, error) {
			g := parallel.NewGroup[int](parallel.OnPool(p))
			g.Add("free", func(context.Context) (int, error) { return 1, nil })
			g.Add("needs", func(context.Context) (int, error) { *ran = true; return 2, nil }, key)
			res, err := g.Run(ctx)
			r, _ := res.Get("needs")
			return r.State == pool.Skipped, err
		},
		"plan": func(ctx context.Context, p *pool.Pool, key pool.TaskOption, ran *bool) (bool, error) {
			plan := parallel.NewPlan(parallel.OnPool(p)).Add(
				parallel.Do("free", func(context.Context) error { return nil }, parallel.ThreadYes),
				parallel.Do("needs", func(context.Context) error { *ran = true; return nil }, parallel.ThreadJoin, parallel.TaskOptions(key)),
			)
			res, err := plan.Run(ctx)
			r, _ := res.Get("needs")
			return r.State == pool.Skipped, err
		},
		"map": func(ctx context.Context, p *pool.Pool, key pool.TaskOption, ran *bool) (bool, error) {
			res, err := parallel.MapResults(ctx, []int{1, 2}, func(_ context.Context, i int) (int, error) {
				if i == 2 {
					*ran = true
				}
				return i, nil
			}, parallel.OnPool(p), parallel.PerItem(func(i int) pool.TaskOption {
				if i == 2 {
					return key
				}
				return pool.Name("other")
			}))
			r, _ := res.Get("1")
			return r.State == pool.Skipped, err
		},
	}
	for name, run := range runs {
		for _, c := range []struct {
			held, needed pool.TaskOption
			conflict     bool
		}{
			{pool.Name("K"), pool.Name("K"), true},
			{pool.Resources("K"), pool.Resources("K"), true},
			{pool.Name("K"), pool.Resources("K"), false}, // names and resources are apart
			{pool.Name("K"), pool.Name("L"), false},
			{pool.Resources("K"), pool.Resources("L"), false},
		} {
			{
				held, needed := c.held, c.needed
				synctest.Test(t, func(t *testing.T) {
					p, err := pool.New(pool.MaxWorkers(2))
					require.NoError(t, err)
					defer func() { require.NoError(t, p.Close()) }()
					var ran, skipped bool
					var runErr error
					holder, err := p.Submit(t.Context(), func(ctx context.Context) error {
						skipped, runErr = run(ctx, p, needed, &ran)
						return nil
					}, held)
					require.NoError(t, err)
					require.NoError(t, holder.Wait(t.Context()))
					if c.conflict {
						require.ErrorIs(t, runErr, pool.ErrDeadlock, name)
						require.True(t, skipped, "%s: the task needing the key is skipped", name)
						require.False(t, ran, name)
					} else {
						require.NoError(t, runErr, name)
						require.True(t, ran, name)
					}
				})
			}
		}
	}
}

// TestGroupWaitFromItsOwnTask: a task of a started group calls the
// group's Wait, which would wait for that very task. Wait returned no
// error and drain called Pool.Wait again at once, which said
// pool.ErrWaitsForItself again: the task spun for ever at full CPU. Now
// that Wait returns at once with an error that is pool.ErrDeadlock, and
// the group runs on and succeeds. (A direct run, with no pool, cannot
// tell; see Group.Wait.)
func TestGroupWaitFromItsOwnTask(t *testing.T) {
	for name, opts := range map[string]func(p *pool.Pool) []parallel.Option{
		"own pool":    func(*pool.Pool) []parallel.Option { return []parallel.Option{parallel.MaxWorkers(2)} },
		"shared pool": func(p *pool.Pool) []parallel.Option { return []parallel.Option{parallel.OnPool(p)} },
		"shared, limited": func(p *pool.Pool) []parallel.Option {
			return []parallel.Option{parallel.OnPool(p), parallel.MaxWorkers(1)}
		},
	} {
		synctest.Test(t, func(t *testing.T) {
			p, err := pool.New(pool.MaxWorkers(2))
			require.NoError(t, err)
			defer func() { require.NoError(t, p.Close()) }()
			g := parallel.NewGroup[int](opts(p)...)
			var inner error
			var res *parallel.Results[int]
			g.Add("a", func(context.Context) (int, error) {
				res, inner = g.Wait()
				return 1, nil
			})
			g.Start(t.Context())
			out, err := g.Wait()
			require.NoError(t, err, name)
			require.ErrorIs(t, inner, pool.ErrDeadlock, name)
			require.ErrorIs(t, inner, pool.ErrWaitsForItself, name)
			require.Empty(t, res.All(), name)
			r, _ := out.Get("a")
			require.Equal(t, pool.Succeeded, r.State, name)
		})
	}
}
