# syntax=docker/dockerfile:1
# One image recipe for every service: `docker build --target users .` (or orders, payments).
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
COPY devstack ./devstack
RUN /opt/venv/bin/pip install .

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
