package strategy_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/braid-go/braid/strategy"
)

// FuzzTallyOrder feeds one set of task ends to a tally in submission order
// and in a shuffled order, and checks what the rules say cannot depend on
// the order: whether the group succeeded, whether it was stopped, and
// (except for fail_fast's first error and race's winner) the error itself.
func FuzzTallyOrder(f *testing.F) {
	f.Add(uint8(0), uint8(0), []byte{0, 0, 1}, uint64(1))
	f.Add(uint8(1), uint8(0), []byte{0, 1, 1, 2, 3}, uint64(2))
	f.Add(uint8(2), uint8(1), []byte{1, 1, 0, 1}, uint64(3))
	f.Add(uint8(3), uint8(0), []byte{1, 1, 1}, uint64(4))
	f.Add(uint8(3), uint8(0), []byte{}, uint64(5))
	f.Fuzz(func(t *testing.T, kind, tolerance uint8, ends []byte, seed uint64) {
		if len(ends) > 64 {
			ends = ends[:64]
		}
		s := pick(kind, tolerance)
		statuses := make([]strategy.Status, len(ends))
		errs := make([]error, len(ends))
		for i, b := range ends {
			statuses[i] = strategy.Status(b % 4)
			if statuses[i] == strategy.Failed || statuses[i] == strategy.Canceled {
				errs[i] = fmt.Errorf("task %d", i)
			}
		}
		order := rand.New(rand.NewPCG(seed, 7)).Perm(len(ends))
		inOrder := observe(t, s, statuses, errs, nil)
		shuffled := observe(t, s, statuses, errs, order)
		if inOrder.ok != shuffled.ok || inOrder.stopped != shuffled.stopped {
			t.Fatalf("%v: ok/stopped %v/%v in order, %v/%v shuffled %v", s.Kind(), inOrder.ok, inOrder.stopped, shuffled.ok, shuffled.stopped, order)
		}
		if want := expectOK(s, tolerance, statuses); inOrder.ok != want {
			t.Fatalf("%v over %v: ok = %v, the rules say %v", s.Kind(), statuses, inOrder.ok, want)
		}
		k := s.Kind()
		if k != strategy.KindFailFast && k != strategy.KindRace && errText(inOrder.err) != errText(shuffled.err) {
			t.Fatalf("%v: error %q in order, %q shuffled", k, errText(inOrder.err), errText(shuffled.err))
		}
		if k == strategy.KindRace && len(ends) == 0 && !errors.Is(inOrder.err, strategy.ErrNoWinner) {
			t.Fatalf("empty race: %v", inOrder.err)
		}
	})
}

func pick(kind, tolerance uint8) strategy.Strategy {
	switch kind % 5 {
	case 0:
		return strategy.WaitAll()
	case 1:
		return strategy.FailFast()
	case 2:
		return strategy.BestEffort()
	case 3:
		return strategy.Race()
	}
	return strategy.BestEffort().Tolerate(int(tolerance % 8))
}

// expectOK is the rules of the strategies, written out independently.
func expectOK(s strategy.Strategy, tolerance uint8, statuses []strategy.Status) bool {
	var ok, failed int
	for _, st := range statuses {
		switch st {
		case strategy.Succeeded:
			ok++
		case strategy.Failed:
			failed++
		}
	}
	switch s.Kind() {
	case strategy.KindWaitAll, strategy.KindFailFast:
		return ok == len(statuses)
	case strategy.KindRace:
		return ok > 0
	}
	if s != strategy.BestEffort() && failed > int(tolerance%8) {
		return false
	}
	return ok > 0 || len(statuses) == 0
}

type outcome struct {
	ok, stopped bool
	err         error
}

func observe(t *testing.T, s strategy.Strategy, statuses []strategy.Status, errs []error, order []int) outcome {
	tally := s.Start(len(statuses))
	stops := 0
	for k := range statuses {
		i := k
		if order != nil {
			i = order[k]
		}
		if tally.Observe(i, statuses[i], errs[i]) {
			stops++
		}
	}
	if stops > 1 {
		t.Fatalf("%v: stop reported %d times", s.Kind(), stops)
	}
	if !tally.Done() {
		t.Fatal("not done after every task was observed")
	}
	ok, err := tally.Verdict()
	if ok != (err == nil) {
		t.Fatalf("%v: ok = %v with error %v", s.Kind(), ok, err)
	}
	return outcome{ok: ok, stopped: tally.Stopped(), err: err}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
