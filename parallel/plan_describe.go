package parallel

import (
	"fmt"
	"strconv"
	"strings"
)

// Description is a plan's units in the order they run, as [Plan.Describe]
// returns them: data for tests to inspect, and text (String) for people.
type Description []Block

// Block is one unit of a plan: members that run together, or a single
// member for a sequential step.
type Block struct {
	Members []Member
}

// Member is one step of a [Block].
type Member struct {
	// Step is the step's path: "users", or "reports/pdf" for step "pdf" of
	// a plan inlined as step "reports" (a block that continues into an
	// inlined plan lists its steps by path).
	Step string
	// Broadcast is set for a Broadcast step, with its number of Inputs and
	// its Parallelism (0: all at once).
	Broadcast           bool
	Inputs, Parallelism int
	// Plan holds the units of an Inline step that runs its plan as one
	// member, in order; nil for other steps.
	Plan Description
}

// Describe validates the plan and returns its units in the order they run,
// without running anything. Its String method renders one line per unit:
// members of a block are separated by " | ", an Inline step that runs its
// plan as one step is followed by that plan's lines, indented and numbered
// under it, and a broadcast shows its inputs and parallelism:
//
//  1. extract
//  2. users | orders | reports/pdf | reports/csv
//  3. reports/archive
//  4. audit
//     4.1. audit/scan | audit/diff
//  5. rows (5 inputs, 2 at a time)
//
// When validation fails, Describe returns nil and the validation error.
func (p *Plan) Describe() (Description, error) {
	s, err := p.compile()
	if err != nil {
		return nil, err
	}
	return describe(s.units), nil
}

func describe(units []unit) Description {
	d := make(Description, len(units))
	for k, u := range units {
		for _, m := range u.members {
			mem := Member{Step: m.name}
			if m.inputs >= 0 {
				mem.Broadcast, mem.Inputs, mem.Parallelism = true, m.inputs, m.parallelism
			}
			if m.units != nil {
				mem.Plan = describe(m.units)
			}
			d[k].Members = append(d[k].Members, mem)
		}
	}
	return d
}

// String renders the description as Describe's documentation shows.
func (d Description) String() string {
	var b strings.Builder
	d.render(&b, "", "")
	return b.String()
}

func (d Description) render(b *strings.Builder, number, indent string) {
	for k, u := range d {
		n := number + strconv.Itoa(k+1)
		names := make([]string, len(u.Members))
		for i, m := range u.Members {
			names[i] = m.String()
		}
		fmt.Fprintf(b, "%s%s. %s\n", indent, n, strings.Join(names, " | "))
		for _, m := range u.Members {
			if m.Plan != nil {
				m.Plan.render(b, n+".", indent+"   ")
			}
		}
	}
}

// String names the member as Describe's text shows it.
func (m Member) String() string {
	if !m.Broadcast {
		return m.Step
	}
	return fmt.Sprintf("%s (%d inputs, %s)", m.Step, m.Inputs, atATime(m.Parallelism))
}

func atATime(n int) string {
	switch n {
	case 0:
		return "all at once"
	case 1:
		return "one at a time"
	}
	return fmt.Sprintf("%d at a time", n)
}
