#!/bin/sh
# Runs the benchmarks behind issue 14's targets on the tree as it is, each
# with its peers and the floor in the same run, and prints their raw output
# (see README.md). About 6 minutes on 2 cores. From internal/bench:
#   sh testdata/targets.sh > run.txt
set -e
go test -run '^$' -bench 'BenchmarkTiny/limit=8|BenchmarkTinyProcs1|BenchmarkBlockingFloor|BenchmarkFailFast|BenchmarkRace|BenchmarkOversubscribed|BenchmarkGoAll' -benchtime 200x -count 5
go test -run '^$' -bench 'BenchmarkNames|BenchmarkSleep|BenchmarkIO|BenchmarkMap' -benchtime 20x -count 5
go test -run '^$' -bench 'BenchmarkScaling' -count 5
go test -run '^$' -bench 'BenchmarkQueuedMemoryN|BenchmarkGoBatch' -benchtime 5x -count 1
