#!/usr/bin/env bash
# Builds the fat jar and the Flex Template: the launcher image and the template spec file in GCS.
#   deploy/dataflow/build-template.sh --project P --region R --bucket B [--repository REPO] [--tag T] [--docker] [--dry-run]
# By default gcloud builds the image (Cloud Build, from Google's Java 17 launcher base image, no Docker needed here);
# --docker builds deploy/dataflow/Dockerfile locally and pushes it. --dry-run prints every command instead of running it.
set -euo pipefail
cd "$(dirname "$0")/../.."
project= region= bucket= repository=astra-bridge tag=$(git rev-parse --short HEAD 2>/dev/null || echo dev) docker= dry=
while (( $# )); do
  case $1 in
    --project) project=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    --bucket) bucket=$2; shift 2 ;;
    --repository) repository=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --docker) docker=1; shift ;;
    --dry-run) dry=1; shift ;;
    *) echo "unknown argument $1 (valid: --project --region --bucket --repository --tag --docker --dry-run)" >&2; exit 2 ;;
  esac
done
for v in project region bucket; do
  [[ -n ${!v} ]] || { echo "--$v is required" >&2; exit 2; }
done
image="$region-docker.pkg.dev/$project/$repository/astra-bridge:$tag"
template="gs://$bucket/templates/astra-bridge-$tag.json"
jar=deploy/dataflow/target/astra-bridge-bundled.jar

run() {
  if [[ -n $dry ]]; then printf '%q ' "$@"; echo; else "$@"; fi
}

run mvn -B -q package -DskipTests -pl deploy/dataflow -am
if [[ -n $docker ]]; then
  run docker build -f deploy/dataflow/Dockerfile --build-arg "JAR=$jar" -t "$image" .
  run docker push "$image"
  run gcloud dataflow flex-template build "$template" --project "$project" --image "$image" --sdk-language JAVA \
    --metadata-file deploy/dataflow/metadata.json
else
  run gcloud dataflow flex-template build "$template" --project "$project" --image-gcr-path "$image" \
    --sdk-language JAVA --flex-template-base-image JAVA17 --metadata-file deploy/dataflow/metadata.json --jar "$jar" \
    --env FLEX_TEMPLATE_JAVA_MAIN_CLASS=dev.astrabridge.bridge.BridgeMain
fi
echo "template: $template"
