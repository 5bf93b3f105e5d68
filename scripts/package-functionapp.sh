#!/usr/bin/env bash
# Builds the Azure Functions deployment artifact of the custom handler:
#   artifacts/functionapp/       host.json, one folder per function (from functions/), and app/: the host published
#                                self-contained for linux-x64, with the shipped journeys and schema
#   artifacts/functionapp.zip    the same folder zipped (executable bits kept), for
#                                `az functionapp deployment source config-zip --src artifacts/functionapp.zip`
#                                or, from inside artifacts/functionapp, `func azure functionapp publish <app>`
# Usage: scripts/package-functionapp.sh
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/functionapp
zip_file=artifacts/functionapp.zip
rm -rf "$out" "$zip_file"
mkdir -p "$out"

# --artifacts-path keeps this build's bin/ and obj/ apart from the developer's, so packaging never disturbs a build
# or test run going on in the same tree.
dotnet publish src/Retention.Host -c Release -r linux-x64 --self-contained \
  --artifacts-path artifacts/build -o "$out/app" -p:GenerateDocumentationFile=false

cp host.json "$out/host.json"
for function in functions/*/; do
  name=$(basename "$function")
  mkdir -p "$out/$name"
  cp "$function/function.json" "$out/$name/function.json"
done

# Local development defaults (dev keys and secrets) have no place in a deployment.
rm -f "$out/app/appsettings.Development.json"

fail() { echo "package-functionapp: $*" >&2; exit 1; }
[ -x "$out/app/Retention.Host" ] || fail "app/Retention.Host is missing or not executable (host.json's defaultExecutablePath)"
[ -f "$out/app/libcoreclr.so" ] || fail "app/ is not self-contained (no libcoreclr.so)"
ls "$out"/app/config/journeys/*.json >/dev/null 2>&1 || fail "app/config/journeys has no journeys"
ls "$out"/app/schemas/*.json >/dev/null 2>&1 || fail "app/schemas has no schema"
[ -f "$out/app/host.json" ] || fail "app/host.json is missing (our queue options read it)"

(cd "$out" && zip -qr -X "../$(basename "$zip_file")" .)

echo "Functions: $(cd "$out" && ls -d */ | grep -v '^app/$' | tr -d / | tr '\n' ' ')"
echo "Wrote $out/ and $zip_file ($(du -h "$zip_file" | cut -f1))"
