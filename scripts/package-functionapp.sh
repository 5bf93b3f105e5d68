#!/usr/bin/env bash
# Builds the Azure Functions deployment artifact of the isolated-worker app (src/Retention.Functions):
#   artifacts/functionapp/       `dotnet publish` output: Retention.Functions.dll and its dependencies, functions.metadata,
#                                worker.config.json, extensions.json and .azurefunctions/ (the host-side extensions),
#                                host.json, the shipped journeys, calendars and schema, and the admin workspace files
#   artifacts/functionapp.zip    the same folder zipped, for
#                                `az functionapp deployment source config-zip -g <group> -n <app> --src artifacts/functionapp.zip`
#                                or, from inside artifacts/functionapp, `func azure functionapp publish <app>`
# Usage: scripts/package-functionapp.sh [Release|Debug]
set -euo pipefail
cd "$(dirname "$0")/.."

configuration=${1:-Release}
out=artifacts/functionapp
zip_file=artifacts/functionapp.zip
rm -rf "$out" "$zip_file"
mkdir -p "$out"

# Framework-dependent (Flex Consumption provides .NET 10 for dotnet-isolated 10.0). --artifacts-path keeps this build's
# bin/ and obj/ apart from the developer's, so packaging never disturbs a build or test run in the same tree.
dotnet publish src/Retention.Functions/Retention.Functions.csproj -c "$configuration" \
  --artifacts-path artifacts/build -o "$out" -p:GenerateDocumentationFile=false

# Local development defaults (dev keys and secrets) have no place in a deployment.
rm -f "$out/appsettings.Development.json"

fail() { echo "package-functionapp: $*" >&2; exit 1; }
[ -f "$out/Retention.Functions.dll" ] || fail "Retention.Functions.dll is missing"
grep -q '"dotnet-isolated"' "$out/worker.config.json" || fail "worker.config.json is missing or not dotnet-isolated"
[ -f "$out/functions.metadata" ] || fail "functions.metadata is missing (the worker SDK did not index the functions)"
[ -f "$out/extensions.json" ] && [ -d "$out/.azurefunctions" ] || fail "the host-side extensions (extensions.json, .azurefunctions/) are missing"
grep -q '"durableTask"' "$out/host.json" || fail "host.json is missing or has no extensions.durableTask"
ls "$out"/config/journeys/*.json >/dev/null 2>&1 || fail "config/journeys has no journeys"
ls "$out"/schemas/*.json >/dev/null 2>&1 || fail "schemas/ has no schema"
[ -f "$out/Web/wwwroot/workspace/index.html" ] || fail "the admin workspace files are missing"

# Hidden entries (.azurefunctions/) included.
(cd "$out" && zip -qr -X "../$(basename "$zip_file")" .)

echo "Functions: $(python3 -c 'import json,sys; print(" ".join(f["name"] for f in json.load(open(sys.argv[1]))))' "$out/functions.metadata" 2>/dev/null || echo '(see functions.metadata)')"
echo "Wrote $out/ and $zip_file ($(du -h "$zip_file" | cut -f1))"
