#!/usr/bin/env bash
# Runs one benchmark in its own JVM (explicit heap) on the test classpath, against the local stack (started if down).
#   bridge/bench.sh SinkBenchmark [-Drows=1000000]
# Benchmarks print their figures with a raw-client baseline measured in the same run; quote ratios, not times.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: bridge/bench.sh <SinkBenchmark|PulsarBenchmark|...> [-Dkey=value ...]}; shift
mvn -B -q install -DskipTests
exec mvn -B -q -pl bridge exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
  -Dexec.args="@$(pwd)/bridge/flink-jvm.options -Xms2g -Xmx4g ${*} -cp %classpath dev.astrabridge.bench.${name}"
