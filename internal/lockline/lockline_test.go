package lockline_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braid-go/braid/internal/lockline"
	"github.com/braid-go/braid/lock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type grantee struct{ id string }

func (*grantee) Granted(lock.Lease) {}

// TestWaitingIsTheLineInOrder: Waiting lists a name's waiters front first,
// leaves out the holders and those of other names, and forgets a request
// once it is granted or withdrawn.
func TestWaitingIsTheLineInOrder(t *testing.T) {
	names, err := lock.NewNames()
	require.NoError(t, err)
	waiting := func(key string) []lock.Grantee { return lockline.Waiting[*lock.Names, lock.Grantee](names, key) }
	h, x, y, z := &grantee{"h"}, &grantee{"x"}, &grantee{"y"}, &grantee{"z"}
	held, _, err := names.Enqueue([]string{"a"}, h)
	require.NoError(t, err)
	require.NotNil(t, held)
	_, qx, _ := names.Enqueue([]string{"a", "b"}, x)
	_, _, _ = names.Enqueue([]string{"c", "a"}, y)
	_, _, _ = names.Enqueue([]string{"b"}, z)
	require.Equal(t, []lock.Grantee{x, y}, waiting("a"))
	require.Equal(t, []lock.Grantee{y}, waiting("c"), "c is free, and y still waits in its line: it waits for a too")
	require.Equal(t, []lock.Grantee{x, z}, waiting("b"))
	require.Empty(t, waiting("d"))
	require.True(t, qx.Withdraw())
	require.Equal(t, []lock.Grantee{y}, waiting("a"))
	require.Empty(t, waiting("b"), "x gone, z was granted b, and left the line")
}
