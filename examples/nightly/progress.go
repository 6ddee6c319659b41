package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Progress refresh rates: a terminal's line is rewritten often, as it
// costs nothing; a log or a CI console gets a line at most this often,
// and only when something changed.
const (
	terminalEvery = 50 * time.Millisecond
	logEvery      = time.Second
)

// showProgress prints line() to w until stop is closed, then prints it a
// last time and closes the returned channel. On a terminal it rewrites one
// line in place with carriage returns; anywhere else (a file, a pipe, a CI
// log) carriage returns would make one long run-on line, so it prints
// plain lines instead, at a modest rate and only when the text changed.
func showProgress(w io.Writer, line func() string, stop <-chan struct{}) <-chan struct{} {
	return progressTo(w, isTerminal(w), line, stop)
}

func progressTo(w io.Writer, terminal bool, line func() string, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	every := logEvery
	if terminal {
		every = terminalEvery
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		last := ""
		for {
			select {
			case <-tick.C:
				now := line()
				switch {
				case terminal:
					_, _ = fmt.Fprintf(w, "\r%s", now) // progress is best effort: a failed write loses a refresh, nothing else
				case now != last:
					_, _ = fmt.Fprintln(w, now) // as above
				}
				last = now
			case <-stop:
				now := line()
				if terminal {
					_, _ = fmt.Fprintf(w, "\r%s\n", now) // as above
				} else if now != last {
					_, _ = fmt.Fprintln(w, now) // as above
				}
				return
			}
		}
	}()
	return done
}

// isTerminal reports whether w is a terminal (a character device), as
// opposed to a file or a pipe. The standard library has no isatty; for a
// progress line, a character device is close enough.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
