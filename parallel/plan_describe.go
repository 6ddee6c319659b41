package parallel

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe validates the plan and returns its units in the order they run,
// one line per unit, without running anything. Members of a block are
// separated by " | "; steps of inlined plans appear by path ("reports/pdf"),
// so a block that continues into an inlined plan shows where it joins. An
// Inline step that runs its plan as one step is followed by that plan's
// lines, indented and numbered under it. A broadcast shows its inputs and
// parallelism:
//
//	Describe():
//	1. extract
//	2. users | orders | reports/pdf | reports/csv
//	3. reports/archive
//	4. audit
//	   4.1. audit/scan | audit/diff
//	5. rows (5 inputs, 2 at a time)
//
// When validation fails, Describe returns "" and the validation error.
func (p *Plan) Describe() (string, error) {
	s, err := p.compile()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	describe(&b, s.units, "", "")
	return b.String(), nil
}

func describe(b *strings.Builder, units []unit, number, indent string) {
	for k, u := range units {
		n := number + strconv.Itoa(k+1)
		names := make([]string, len(u.members))
		for i, m := range u.members {
			names[i] = m.name
		}
		fmt.Fprintf(b, "%s%s. %s\n", indent, n, strings.Join(names, " | "))
		for _, m := range u.members {
			if m.units != nil {
				describe(b, m.units, n+".", indent+"   ")
			}
		}
	}
}
