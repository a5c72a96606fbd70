#!/usr/bin/env bash
# Runs, updates or drains the bridge from its Flex Template.
#   deploy/dataflow/run-template.sh --project P --region R --template gs://B/templates/astra-bridge-T.json \
#     --job-name NAME [--service-account SA] [--network N] [--subnetwork S] [--worker-machine-type T] \
#     [--max-workers N] [--no-streaming-engine] [--update] [--transform-name-mappings '{"old":"new"}'] \
#     [--dry-run] -- mode=ingest source=pulsar pulsarToken=projects/P/secrets/pulsar-token/versions/latest ...
#   deploy/dataflow/run-template.sh --project P --region R --drain JOB_ID [--dry-run]
# Parameters after -- are the bridge's options (see metadata.json); secrets go as Secret Manager versions.
set -euo pipefail
project= region= template= job= sa= network= subnetwork= machine=n2-standard-2 max_workers=4 engine=1 update=
mappings= drain= dry=
while (( $# )); do
  case $1 in
    --project) project=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    --template) template=$2; shift 2 ;;
    --job-name) job=$2; shift 2 ;;
    --service-account) sa=$2; shift 2 ;;
    --network) network=$2; shift 2 ;;
    --subnetwork) subnetwork=$2; shift 2 ;;
    --worker-machine-type) machine=$2; shift 2 ;;
    --max-workers) max_workers=$2; shift 2 ;;
    --no-streaming-engine) engine=; shift ;;
    --update) update=1; shift ;;
    --transform-name-mappings) mappings=$2; shift 2 ;;
    --drain) drain=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --) shift; break ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
run() {
  if [[ -n $dry ]]; then printf '%q ' "$@"; echo; else "$@"; fi
}
[[ -n $project && -n $region ]] || { echo "--project and --region are required" >&2; exit 2; }
if [[ -n $drain ]]; then
  # drain: stop reading, finish what is in flight (windows fire, writes and acks complete), then stop
  run gcloud dataflow jobs drain "$drain" --project "$project" --region "$region"
  exit 0
fi
[[ -n $template && -n $job ]] || { echo "--template and --job-name are required" >&2; exit 2; }
secret_ref='^projects/[^/]+/secrets/[^/]+/versions/[^/]+$'
for p in "$@"; do
  case ${p%%=*} in
    astraToken|pulsarToken|cassandraPassword)
      # on Dataflow a secret is a Secret Manager version, resolved by the workers; never a value in the job's parameters
      [[ ${p#*=} =~ $secret_ref ]] || { echo "parameter ${p%%=*}: give a Secret Manager version (projects/P/secrets/S/versions/V), not a value or a local file" >&2; exit 2; } ;;
  esac
done
# gcloud's alternate delimiter (^~^) keeps commas inside values (mappings, routes, lists) intact
params=$(IFS='~'; echo "$*")
args=(gcloud dataflow flex-template run "$job" --project "$project" --region "$region"
  --template-file-gcs-location "$template" --worker-machine-type "$machine" --max-workers "$max_workers")
[[ -n $sa ]] && args+=(--service-account-email "$sa")
[[ -n $network ]] && args+=(--network "$network")
[[ -n $subnetwork ]] && args+=(--subnetwork "$subnetwork")
[[ -n $engine ]] && args+=(--enable-streaming-engine)
[[ -n $update ]] && args+=(--update)
[[ -n $mappings ]] && args+=(--transform-name-mappings "$mappings")
[[ -n $params ]] && args+=(--parameters "^~^$params")
run "${args[@]}"
