#!/usr/bin/env bash
# Vendors the docs page's UI, Swagger UI, from the npm registry into
# functions/platform/assets/swagger-ui/, where the platform function embeds it (include_bytes!).
# Kept in the repository so a fresh clone builds and serves the docs page without any network;
# run this only to move to another version, then commit the result.
#
#   scripts/vendor-swagger-ui.sh 5.35.0
#
# npm checks the tarball against the registry's integrity hash; the files are copied unchanged
# (with their licence files) and SHA256SUMS records them, so a reviewer can compare them with
# the published package.
set -euo pipefail

version=${1:?usage: $0 VERSION (of the swagger-ui-dist package)}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$repo/functions/platform/assets/swagger-ui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$work/swagger-ui-dist-$version.tgz" -C "$work"
mkdir -p "$dest"
for file in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
  cp "$work/package/$file" "$dest/$file"
done
echo "$version" >"$dest/VERSION"
(cd "$dest" && sha256sum swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE \
  swagger-ui-bundle.js.LICENSE.txt >SHA256SUMS)
echo "swagger-ui-dist $version vendored in ${dest#"$repo"/}"
