#!/usr/bin/env bash
# Rebuild dashboard/assets/vendor/plotly-tocsin.min.js: plotly.js with only the traces the
# dashboard draws (scatter, bar, heatmap, scattergeo, choropleth), about 1.4 MB instead of
# the full 4.8 MB bundle, so the browser parses a third as much before the map can draw;
# and dashboard/assets/vendor/regenerator-runtime.min.js, the one global of Dash's
# @babel/polyfill its bundles use (dashboard/app.py leaves the polyfill out).
#
# Needs Node.js and npm (the npm registry). Keep plotly.js at the version the installed
# Python plotly package ships (tests/dashboard/test_plotly_bundle.py checks it); bump
# both together, then run this script and commit the new bundle.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/entry.js" "$work/"
cd "$work"
npm install --no-audit --no-fund --ignore-scripts --silent
version="$(node -p "require('plotly.js/package.json').version")"
npx --no-install esbuild entry.js --bundle --minify --format=iife --target=es2018 \
  --define:global=globalThis --legal-comments=none --log-level=warning --outfile=out/plotly.js \
  --banner:js="/*! plotly.js v$version (MIT licence, (c) Plotly, Inc.) - Tocsin's partial bundle: core, scatter, bar, heatmap, scattergeo, choropleth. Built by scripts/plotly-bundle/build.sh */"
cp out/plotly.js "$root/dashboard/assets/vendor/plotly-tocsin.min.js"
echo "wrote dashboard/assets/vendor/plotly-tocsin.min.js (plotly.js $version, $(wc -c < out/plotly.js) bytes)"

runtime="$(node -p "require('regenerator-runtime/package.json').version")"
npx --no-install esbuild node_modules/regenerator-runtime/runtime.js --minify \
  --legal-comments=none --log-level=warning --outfile=out/regenerator-runtime.js \
  --banner:js="/*! regenerator-runtime v$runtime (MIT licence, (c) Meta Platforms, Inc.) - the one part of Dash's @babel/polyfill its renderer needs. Built by scripts/plotly-bundle/build.sh */"
cp out/regenerator-runtime.js "$root/dashboard/assets/vendor/regenerator-runtime.min.js"
echo "wrote dashboard/assets/vendor/regenerator-runtime.min.js (regenerator-runtime $runtime)"
