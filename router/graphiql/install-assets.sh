#!/bin/sh
# Fetches GraphiQL's browser bundles from the npm registry (versions pinned by the lock file)
# into assets/, which the router serves itself. Used by `make` and by the Dockerfile.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
mkdir -p assets
cp node_modules/react/umd/react.production.min.js \
   node_modules/react-dom/umd/react-dom.production.min.js \
   node_modules/graphiql/graphiql.min.js \
   node_modules/graphiql/graphiql.min.css assets/
