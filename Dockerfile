# syntax=docker/dockerfile:1
# One image recipe for every service: `docker build --target users .` (or orders, payments, router).
# Build stage: install the project into a virtualenv. Final stages: slim Python, that
# virtualenv, a non-root user, no compilers, no secrets (keys and URIs come at run time).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY subgraphs ./subgraphs
COPY supergraph ./supergraph
COPY router ./router
COPY shared ./shared
COPY devstack ./devstack
RUN /opt/venv/bin/pip install .

# GraphiQL's browser bundles from the npm registry, so the router serves them itself.
FROM node:20-bookworm-slim AS graphiql
WORKDIR /src/router/graphiql
COPY router/graphiql/package.json router/graphiql/package-lock.json router/graphiql/install-assets.sh ./
RUN ./install-assets.sh

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
COPY --from=build /opt/venv /opt/venv
COPY schema /app/schema
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HOST=0.0.0.0
WORKDIR /app
USER 10001:10001

FROM runtime AS users
ENV PORT=3001
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"]
CMD ["python", "-m", "subgraphs.users"]

FROM runtime AS orders
ENV PORT=3002
EXPOSE 3002
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"]
CMD ["python", "-m", "subgraphs.orders"]

FROM runtime AS payments
ENV PORT=3003
EXPOSE 3003
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health', timeout=2)"]
CMD ["python", "-m", "subgraphs.payments"]

FROM runtime AS router
COPY router/router.yaml /app/router/router.yaml
COPY --from=graphiql /src/router/graphiql/assets /opt/venv/lib/python3.11/site-packages/router/graphiql/assets
# Production mode: GraphiQL off unless router.yaml enables it. The supergraph and config can be
# replaced at run time (ROUTER_SUPERGRAPH, ROUTER_CONFIG), e.g. from a Kubernetes ConfigMap.
ENV ROUTER_ENV=production ROUTER_HOST=0.0.0.0 ROUTER_PORT=3000 \
    ROUTER_CONFIG=/app/router/router.yaml ROUTER_SUPERGRAPH=/app/schema/supergraph.graphql
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"ROUTER_PORT\"]}/health', timeout=2)"]
CMD ["python", "-m", "router"]
