package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const want = `o1 12.50
o2 3.99
o3 20.00
o4 0.75
error: task "4": order o5: amount must be positive
`

func Example() {
	main()
	// Output:
	// o1 12.50
	// o2 3.99
	// o3 20.00
	// o4 0.75
	// error: task "4": order o5: amount must be positive
}

// TestREADMEShowsThisProgram: the quick start in README.md is this file,
// character for character, so the program people paste is the one that
// is compiled and tested.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```go\n// Command quickstart")
	if !ok {
		t.Fatal("README.md has no quick-start block starting with \"// Command quickstart\"")
	}
	block, _, ok := strings.Cut("// Command quickstart"+rest, "```")
	if !ok {
		t.Fatal("the quick-start block is not closed")
	}
	if block != string(src) {
		t.Errorf("README.md's quick start differs from examples/quickstart/main.go:\n--- README\n%s\n--- main.go\n%s", block, src)
	}
}

// TestFromACheckout builds the quick start as a user does before braid
// has a published version: a module of their own whose go.mod points
// github.com/braid-go/braid at a checkout with a replace directive, as
// README.md shows. It needs the Go module proxy for braid's own
// dependencies.
func TestFromACheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module from scratch")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/orders\n\ngo 1.25.0\n\nrequire github.com/braid-go/braid v0.0.0\n\nreplace github.com/braid-go/braid => " + root + "\n"
	for name, data := range map[string]string{"go.mod": gomod, "main.go": string(src)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("mod", "tidy")
	if got := run("run", "."); got != want {
		t.Errorf("go run printed:\n%s\nwant:\n%s", got, want)
	}
}
