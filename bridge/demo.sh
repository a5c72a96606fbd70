#!/usr/bin/env bash
# The README's main job: starts the local stack if needed, runs the ingest job from Astra Streaming into Astra DB on
# the embedded Flink runner, publishes generated events (with duplicates, malformed and late ones), shows progress,
# and ends with a summary checked against Cassandra.   bridge/demo.sh [-Devents=5000] [-Drate=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q install -DskipTests
exec mvn -B -q -pl bridge exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
  -Dexec.args="@$(pwd)/bridge/flink-jvm.options -Xms1g -Xmx3g ${*} -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp %classpath dev.astrabridge.demo.IngestDemo"
