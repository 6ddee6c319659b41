package parallel

import (
	"fmt"
	"strings"

	"github.com/braid-go/braid/strategy"
)

// checkRun checks the settings that only the plan being run uses: an
// inlined plan contributes its steps and its Max Threads, nothing else.
func (c *compiler) checkRun(cfg planConfig) {
	if cfg.strategy.Kind() == strategy.KindRace {
		c.fail("", invalidf("race: a plan's steps are ordered, there is nothing to race"))
	}
	if cfg.pool != nil && cfg.servers != nil {
		c.fail("", invalidf("OnPool and OnServers: a plan runs on one or the other"))
	}
	if cfg.sticky && cfg.servers == nil {
		c.fail("", invalidf("Sticky without OnServers"))
	}
}

// check reports what is wrong with step st of a plan whose names so far
// are in names. It returns false when st cannot be compiled at all; a
// step with bad options is still compiled, to find more problems.
func (c *compiler) check(st *Step, path string, names map[string]bool) bool {
	switch {
	case st.name == "":
		c.fail(path, ErrEmptyID)
		return false
	case names[st.name]:
		c.fail(path, ErrDuplicateID)
		return false
	case strings.ContainsAny(st.name, "/[]"):
		// Paths of inlined steps ("reports/pdf") and broadcast inputs
		// ("rows[3]") are made of these: a name holding them could pass
		// for another step's path.
		c.fail(path, invalidf("step name %q: '/', '[' and ']' are reserved for step paths", st.name))
		return false
	case !st.runnable():
		c.fail(path, ErrNilStep)
		return false
	}
	names[st.name] = true
	switch {
	case st.thread > ThreadJoin:
		c.fail(path, invalidf("%v", st.thread))
	case st.parallelism < 0:
		c.fail(path, invalidf("Parallelism(%d): must be >= 0", st.parallelism))
	case st.parallelismSet && st.kind != broadcastStep:
		c.fail(path, invalidf("Parallelism applies to a Broadcast step"))
	case st.err != nil:
		c.fail(path, st.err)
	case st.opts != nil && st.kind == inlineStep:
		c.fail(path, invalidf("TaskOptions apply to the steps of an inlined plan, not to the Inline step"))
	case st.perItem != nil && st.kind != broadcastStep:
		c.fail(path, invalidf("PerItem applies to a Broadcast step"))
	case st.serverSet && st.kind == inlineStep:
		c.fail(path, invalidf("OnServer applies to the steps of an inlined plan, not to the Inline step"))
	}
	return true
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
