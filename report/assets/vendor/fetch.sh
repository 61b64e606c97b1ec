#!/bin/sh
# Fetches the chart libraries the report inlines, at the pinned versions,
# from the npm registry, and checks them against the SHA-256 sums in
# SHA256SUMS. Run it to re-create the files here or to move to new versions
# (then update VERSIONS, SHA256SUMS and docs/report.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
while read -r package version; do
    case "$package" in ''|'#'*) continue ;; esac
    npm pack --silent "$package@$version" >/dev/null
    mkdir "$package"
    tar xzf "$package-$version.tgz" -C "$package"
    cp "$package/package/build/$package.min.js" "$here/$package.min.js"
    cp "$package/package/LICENSE" "$here/$package.LICENSE"
done < "$here/VERSIONS"
cd "$here"
sha256sum -c SHA256SUMS
