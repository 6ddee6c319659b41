package parallel

import (
	"context"
	"slices"
	"sync"

	"github.com/braid-go/braid/pool"
)

// Plan is an ordered list of steps, each with a [Thread] property, run as
// a job scheduler runs a project: adjacent threaded steps form blocks that
// run together, and blocks and lone steps run one after another. See the
// package documentation, section Plans.
//
// A Plan is a declaration: Add steps, then Run it as often as needed, also
// from several goroutines at once; each Run validates the plan as it is
// then and works on that snapshot. The same plan may be inlined into
// several others.
type Plan struct {
	cfg   planConfig // set by NewPlan, read-only afterwards
	mu    sync.Mutex
	steps []Step
}

// planConfig holds a plan's settings: a group's (strategy, Max Threads as
// MaxWorkers, pool, timeout), plus where steps may run.
type planConfig struct {
	config
	servers Selector
	sticky  bool
}

// PlanOption configures a plan at [NewPlan]. Every group [Option] is also
// a PlanOption: WithStrategy, MaxWorkers (the plan's Max Threads), OnPool,
// PoolOptions, Timeout, Label and OnEvent. [OnServers] and [Sticky] are
// for plans only.
type PlanOption interface{ applyPlan(*planConfig) }

type planOption func(*planConfig)

func (o planOption) applyPlan(c *planConfig) { o(c) }

// NewPlan returns an empty plan configured by opts. A bad option is not
// reported here but by [Plan.Validate], Run and Describe, with the plan's
// other problems, so that plans can be built in one expression and nested
// as they are built.
func NewPlan(opts ...PlanOption) *Plan {
	cfg := planConfig{config: defaults()}
	for _, o := range opts {
		if o != nil {
			o.applyPlan(&cfg)
		}
	}
	cfg.check()
	return &Plan{cfg: cfg}
}

// Add appends steps to the plan, in order, and returns the plan. Steps are
// checked when the plan is validated, not here.
func (p *Plan) Add(steps ...Step) *Plan {
	p.mu.Lock()
	p.steps = append(p.steps, steps...)
	p.mu.Unlock()
	return p
}

func (p *Plan) snapshot() []Step {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.steps)
}

// Validate reports every reason why the plan cannot run, each as a
// [*PlanError], joined in plan order; nil when it can run. Run and Describe
// validate first and do nothing else when this fails.
func (p *Plan) Validate() error {
	_, err := p.compile()
	return err
}

// Run validates the plan and runs it: blocks and sequential steps in
// order, each block's members together under the plan's Max Threads. It
// returns when every started step has returned, with one result per step
// that runs a function (a broadcast gives one per input), in plan order and
// by path, and the plan's error, nil when the strategy says it succeeded.
//
// When validation fails, Run returns nil results and the validation error,
// and nothing has run. When ctx is the context of a running braid task,
// Run gives that task's worker slot back while it waits, and ends with
// [pool.ErrDeadlock] if a step needs a name or resource that task holds,
// as Group.Run does.
func (p *Plan) Run(ctx context.Context) (*Results[struct{}], error) {
	if ctx == nil {
		panic("parallel: nil context")
	}
	s, err := p.compile()
	if err != nil {
		return nil, err
	}
	if mw := chainRun(p.cfg.runMiddleware); mw != nil {
		info := RunInfo{Group: p.cfg.label, Plan: true, IDs: s.ids}
		return aroundRun(ctx, mw, info, func(ctx context.Context) (*Results[struct{}], error) { return p.run(ctx, s) },
			func(err error) *Results[struct{}] {
				declined(ctx, &p.cfg.config, s.ids, func(i int) []pool.TaskOption { return s.tasks[i].opts }, err)
				return s.unstarted(p.cfg, err)
			})
	}
	return p.run(ctx, s)
}

// run runs the compiled plan s.
func (p *Plan) run(ctx context.Context, s *schedule) (*Results[struct{}], error) {
	r, err := newPlanRun(ctx, p.cfg, s)
	if err != nil {
		return s.unstarted(p.cfg, err), err
	}
	r.sequence(ctx, s.units)
	r.close()
	return r.finish()
}
