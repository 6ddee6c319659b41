// Package lockline lets package pool read the waiting lines of its lock
// table (package lock's Names) without a method in lock's public API: the
// pool's deadlock search needs to know who is queued ahead of a task in a
// resource's line, and no other user of a lock table should depend on that.
//
// Package lock registers the reader at init. The two ends are typed (the
// table and the grantees are lock's types); only this seam holds the
// function as an interface value, since this package cannot import lock,
// which imports it.
package lockline

// waiting is func(T, string) []G, for lock's *Names and Grantee.
var waiting any

// Register sets the reader of a table's lines. Package lock calls it once,
// at init.
func Register[T, G any](f func(table T, key string) []G) { waiting = f }

// Waiting returns the grantees of the requests waiting for key in table,
// front of the line first.
func Waiting[T, G any](table T, key string) []G {
	return waiting.(func(T, string) []G)(table, key)
}
