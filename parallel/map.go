package parallel

import (
	"context"
	"strconv"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// Map runs fn over every item, at most MaxWorkers at once, and returns the
// outputs in the order of the items: the common fan-out ("process these N
// orders, 4 at a time, stop at the first error") in one call.
//
// Map is a [Group] with one task per item, whose ID is the item's index
// ("0", "1", ...), and takes a group's options: [MaxWorkers], [Timeout],
// [OnPool], [PoolOptions], [Label], [OnEvent], and [WithStrategy], which
// defaults to fail_fast here (not wait_all as for a Group): the first
// error cancels the rest, queued items never start, and that error is
// returned, as errgroup does. [PerItem] derives each item's task options
// from the item: its name, to serialise items of one customer, say, or the
// resources it writes.
//
// The outputs are those of the items that ran; an item that failed or
// never ran leaves its zero value. For every item's state and times, use
// [MapResults].
func Map[In, Out any](ctx context.Context, items []In, fn func(ctx context.Context, item In) (Out, error), opts ...Option) ([]Out, error) {
	res, err := MapResults(ctx, items, fn, opts...)
	out := make([]Out, len(items))
	for i, r := range res.list() {
		if r.State == pool.Succeeded {
			out[i] = r.Output // a failed item's output, if it returned one, is not kept
		}
	}
	return out, err
}

// MapResults is [Map] returning every item's [Result], in the order of
// the items, instead of the outputs alone.
func MapResults[In, Out any](ctx context.Context, items []In, fn func(ctx context.Context, item In) (Out, error), opts ...Option) (*Results[Out], error) {
	if fn == nil {
		panic("parallel: nil map function")
	}
	cfg := newConfig(append([]Option{WithStrategy(strategy.FailFast())}, opts...))
	var key func(In) pool.TaskOption
	if cfg.perItem != nil {
		var ok bool
		if key, ok = cfg.perItem.(func(In) pool.TaskOption); !ok {
			// See Broadcast: PerItem's type is checked where the items'
			// type is known.
			cfg.fail("PerItem takes %T; the items are %T", cfg.perItem, items)
		}
		cfg.perItem = nil
	}
	g := &Group[Out]{cfg: cfg, made: true, byID: make(map[string]int, len(items))}
	for i, item := range items {
		var opts []pool.TaskOption
		if key != nil {
			opts = []pool.TaskOption{key(item)}
		}
		g.Add(strconv.Itoa(i), func(ctx context.Context) (Out, error) { return fn(ctx, item) }, opts...)
	}
	return g.Run(ctx)
}

// ItemOption derives each item's task options from the item: see
// [PerItem]. It is an [Option] of [Map] and a [StepOption] of [Broadcast].
type ItemOption struct {
	fn any // func(E) pool.TaskOption
}

// PerItem gives each item of a [Map], or each input of a [Broadcast], the
// task options key returns for it: [pool.Name] of the customer an order
// belongs to, [pool.Resources] of the table a row writes. Combine several
// with [pool.TaskOption.And]. E must be the type of the items; a mismatch
// makes Map fail, or the plan's validation, with [ErrInvalid], before
// anything runs. A group or a plan as a whole takes no PerItem: its tasks
// take options of their own (Group.Add, TaskOptions).
func PerItem[E any](key func(item E) pool.TaskOption) ItemOption {
	if key == nil {
		panic("parallel: nil PerItem function")
	}
	return ItemOption{fn: key}
}

func (o ItemOption) applyGroup(c *config) { c.perItem = o.fn }
func (o ItemOption) applyPlan(c *planConfig) {
	c.fail("PerItem applies to Map and to Broadcast steps, not to a plan")
}
func (o ItemOption) applyStep(s *Step) { s.perItem = o.fn }
