#!/usr/bin/env bash
# Runs every test. Installs what the tests drive when it is missing and this user may (root, Debian/Ubuntu):
# Chromium (report and dashboard pages), PostgreSQL (study storage), Open MPI (data-parallel training) and
# node-llama-cpp and transformers.js (independent consumers of the GGUF and ONNX exports).
# Then builds and runs `dotnet test`, and ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin libopenmpi-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} …"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "warning: could not install ${missing[*]}; the tests that need them will fail" >&2
  else
    echo "warning: ${missing[*]} missing and this user cannot install them; the tests that need them will fail" >&2
  fi
fi

# llama.cpp itself (node-llama-cpp's prebuilt CPU binaries) checks GGUF exports; transformers.js (onnxruntime-node's
# bundled CPU binaries; its install script would fetch GPU ones from GitHub, hence --ignore-scripts) checks ONNX exports.
# Versions are pinned in bench/gguf/package.json and bench/onnx/package.json.
for check in "gguf:node-llama-cpp:--omit=optional" "onnx:@huggingface/transformers:--ignore-scripts"; do
  IFS=: read -r folder package flags <<<"$check"
  [ -d "bench/$folder/node_modules/$package" ] && continue
  if command -v npm >/dev/null 2>&1; then
    echo "installing $package (bench/$folder) …"
    (cd "bench/$folder" && npm install $flags --no-audit --no-fund --loglevel=error >/dev/null) \
      || echo "warning: could not install bench/$folder's packages; the test that runs $package will fail" >&2
  else
    echo "warning: npm missing; the tests that run $package will fail" >&2
  fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test GptLab.slnx "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

summary=$(grep -E "^(Passed|Failed)!" "$log" | tail -1)
passed=$(echo "$summary" | sed -nE 's/.*Passed: *([0-9]+).*/\1/p')
failed=$(echo "$summary" | sed -nE 's/.*Failed: *([0-9]+),.*/\1/p')
skipped=$(echo "$summary" | sed -nE 's/.*Skipped: *([0-9]+).*/\1/p')
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$status" -ne 0 ] && [ "${failed:-0}" = "0" ]; then echo "error: the build or test run failed (exit $status)" >&2; fi
exit "$status"
