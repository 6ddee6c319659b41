#!/bin/sh
# Run from a directory holding before.test and after.test (see README.md).
for i in 1 2 3 4 5; do
  for b in before after; do
    ./$b.test -test.run '^$' -test.bench 'BenchmarkTiny/limit=8|TinyProcs1|BlockingFloor|FailFast|Race' -test.benchtime 200x -test.count 1 >> final.$b.txt
    ./$b.test -test.run '^$' -test.bench 'Sleep|BenchmarkIO|Oversubscribed' -test.benchtime 20x -test.count 1 >> final.$b.txt
    ./$b.test -test.run '^$' -test.bench 'Scaling|Names|GoBatch' -test.benchtime 5x -test.count 1 >> final.$b.txt
    ./$b.test -test.run '^$' -test.bench 'QueuedMemoryN' -test.benchtime 1x -test.count 1 >> final.$b.txt
  done
done
echo done > final.done
