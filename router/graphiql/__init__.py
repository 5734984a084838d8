"""GraphiQL (`graphiql:`): the in-browser IDE on `GET /graphql` (when the browser asks for
HTML) and `GET /`, pointed at this router, with the headers editor open for a token and,
with `sign_in`, a sign-in form that fills it (`sign_in.py`).

Its JS/CSS come from the npm registry at build time (`make graphiql`: `npm ci` in this folder,
the bundles copied into `assets/`, which git ignores) and are served by the router itself;
when they are absent the page loads the same versions from a CDN. On by default, off by
default when `ROUTER_ENV=production`."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from ..config import Config
from ..settings import Settings, validate
from . import sign_in as sign_in_form

SECTION = "graphiql"
HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
ASSET_PATH = "/graphiql/assets"
CDN = "https://cdn.jsdelivr.net/npm"

# file served -> (npm package, path inside the package)
BUNDLES = {
    "react.production.min.js": ("react", "umd/react.production.min.js"),
    "react-dom.production.min.js": ("react-dom", "umd/react-dom.production.min.js"),
    "graphiql.min.js": ("graphiql", "graphiql.min.js"),
    "graphiql.min.css": ("graphiql", "graphiql.min.css"),
}


def _versions() -> dict[str, str]:
    with open(HERE / "package.json", encoding="utf-8") as f:
        dependencies: dict[str, str] = json.load(f)["dependencies"]
    return dependencies


@dataclass
class GraphiQLConfig:
    enabled: bool = True
    title: str = "GraphiQL · router"
    # Empty: an `Authorization: Bearer ` placeholder would make the schema fetch a 401.
    default_headers: str = ""
    sign_in: sign_in_form.SignIn | None = None


class GraphiQLSettings(Settings):
    """`graphiql:` in router.yaml."""

    enabled: bool | None = None  # default: on, off when ROUTER_ENV=production
    title: str = GraphiQLConfig.title
    default_headers: str = GraphiQLConfig.default_headers
    # true: the shop's login mutation; or {mutation, token_path}
    sign_in: bool | sign_in_form.SignInSettings = False


def parse(raw: Any, env: Mapping[str, str] | None = None) -> GraphiQLConfig:
    """A raw section (a test, a tool) read as the router reads its validated one."""
    return config_of(validate(GraphiQLSettings, SECTION, raw), env)


def config_of(s: GraphiQLSettings, env: Mapping[str, str] | None = None) -> GraphiQLConfig:
    env = os.environ if env is None else env
    production = env.get("ROUTER_ENV", "").lower() in ("production", "prod")
    return GraphiQLConfig(enabled=s.enabled if s.enabled is not None else not production, title=s.title,
                          default_headers=s.default_headers, sign_in=sign_in_form.parse(s.sign_in))


def assets_present() -> bool:
    return all((ASSETS / name).is_file() for name in BUNDLES)


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: no `</script>` or HTML comment can be closed by a value."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(cfg: GraphiQLConfig, endpoint: str, local: bool, nonce: str) -> str:
    versions = _versions()
    if local:
        url = {name: f"{ASSET_PATH}/{name}" for name in BUNDLES}
    else:
        url = {name: f"{CDN}/{pkg}@{versions[pkg]}/{path}" for name, (pkg, path) in BUNDLES.items()}
    settings = _script_json({"endpoint": endpoint, "headers": cfg.default_headers,
                             "signIn": cfg.sign_in.settings() if cfg.sign_in else None})
    form, form_script, ide_height = ((sign_in_form.FORM, sign_in_form.SCRIPT, "calc(100% - 41px)")
                                     if cfg.sign_in else ("", "", "100%"))
    title = cfg.title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{url['graphiql.min.css']}">
<style>html, body {{ height: 100%; margin: 0; }} #graphiql {{ height: {ide_height}; }}</style>
</head>
<body>
{form}
<div id="graphiql">Loading GraphiQL…</div>
<script src="{url['react.production.min.js']}"></script>
<script src="{url['react-dom.production.min.js']}"></script>
<script src="{url['graphiql.min.js']}"></script>
<script nonce="{nonce}">
(function () {{
  var settings = {settings};
  var params = new URLSearchParams(window.location.search);
  var endpoint = new URL(settings.endpoint, window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({{ url: endpoint, enableIncrementalDelivery: true }});  // @defer: multipart parts merged as they come
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  function render(headers) {{
    var props = {{
      fetcher: fetcher,
      defaultHeaders: settings.headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers"
    }};
    if (headers !== undefined) props.headers = headers;
    if (params.get("query")) props.defaultQuery = params.get("query");
    if (params.get("variables")) props.defaultVariables = params.get("variables");
    if (params.get("operationName")) props.operationName = params.get("operationName");
    root.render(React.createElement(GraphiQL, props));
  }}
  render();{form_script}
}})();
</script>
</body>
</html>
"""


def wants_html(request: Request) -> bool:
    """A browser navigating here, `/graphql?query=...` included (the page prefills the editor):
    it accepts HTML and names no GraphQL response type. A GraphQL client's GET names
    `application/json` or `application/graphql-response+json`, and is answered as GraphQL."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept and "application/graphql-response+json" not in accept


class GraphiQL:
    def __init__(self, cfg: GraphiQLConfig, endpoint: str) -> None:
        self.cfg = cfg
        self.endpoint = endpoint

    def response(self, request: Request) -> Response:
        nonce = secrets.token_urlsafe(16)
        local = assets_present()
        sources = "'self'" if local else f"'self' {CDN}"
        csp = (f"default-src 'self'; script-src {sources} 'nonce-{nonce}'; style-src {sources} 'unsafe-inline'; "
               f"img-src 'self' data:; font-src 'self' data: {CDN}; connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")
        return HTMLResponse(page(self.cfg, self.endpoint, local, nonce),
                            headers={"content-security-policy": csp, "x-content-type-options": "nosniff",
                                     "cache-control": "no-store"})

    def routes(self) -> list[Route]:
        async def root(request: Request) -> Response:
            return self.response(request)

        async def asset(request: Request) -> Response:
            name = request.path_params["name"]
            if name not in BUNDLES or not (ASSETS / name).is_file():  # only our own files, never a path
                return Response(b"not found", status_code=404, media_type="text/plain")
            media = "text/css" if name.endswith(".css") else "application/javascript"
            return FileResponse(ASSETS / name, media_type=media,
                                headers={"cache-control": "public, max-age=86400", "x-content-type-options": "nosniff"})

        return [Route("/", root, methods=["GET"]), Route(ASSET_PATH + "/{name}", asset, methods=["GET"])]


def build(config: Config, env: Mapping[str, str] | None = None) -> GraphiQL | None:
    cfg = config_of(config.section(SECTION, GraphiQLSettings) or GraphiQLSettings(), env)
    return GraphiQL(cfg, config.graphql_path) if cfg.enabled else None
