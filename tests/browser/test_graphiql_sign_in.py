"""A newcomer's first query: the shop's router (its own router.yaml) in front of the real shop,
`/graphql?query=...` opened in Chromium shows GraphiQL with the query, the sign-in form gets
a token, and `me` runs signed in without anyone editing the headers."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote

import httpx

from tests.support.harness import RouterServer
from tests.support.shop import REGISTER, supergraph_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_sign_in_then_me_without_editing_headers(shop, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    config = tmp_path / "router.yaml"
    config.write_text((ROOT / "router" / "router.yaml").read_text())
    r = RouterServer(supergraph, config,
                     env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
    try:
        suffix = uuid.uuid4().hex[:10]
        account = {"username": f"g_{suffix}", "email": f"g_{suffix}@example.com", "password": "correct horse"}
        registered = httpx.post(r.url, json={"query": REGISTER, "variables": {"input": account}}, timeout=30)
        assert "errors" not in registered.json(), registered.json()

        page = browser.new_page()
        statuses: list[tuple[int, str]] = []
        page.on("response", lambda resp: statuses.append((resp.status, resp.url)) if resp.url == r.url else None)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(r.url + "?query=" + quote("{ me { username email } }"))
        page.wait_for_selector(".graphiql-execute-button", timeout=20_000)
        assert "me" in page.locator(".graphiql-query-editor").inner_text()
        headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor").last
        assert "Bearer" not in headers_editor.inner_text()  # no empty placeholder token

        page.fill("#sign-in-email", account["email"])
        page.fill("#sign-in-password", account["password"])
        page.click("#sign-in-submit")
        page.wait_for_function(
            "() => document.getElementById('sign-in-status').innerText.startsWith('signed in as')", timeout=20_000)
        page.wait_for_function(
            "() => document.querySelector('.graphiql-editor-tool .graphiql-editor:last-child')"
            " && document.body.innerText.includes('Bearer ey')", timeout=20_000)
        page.click(".graphiql-execute-button")
        page.wait_for_function(
            "(name) => { const r = document.querySelector('.result-window');"
            " return r && r.innerText.includes(name); }", arg=account["username"], timeout=20_000)
        result = page.locator(".result-window").inner_text()
        assert account["email"] in result and "errors" not in result
        assert statuses and all(status == 200 for status, _ in statuses), statuses  # the schema fetch too
        assert not errors, errors
        page.close()
    finally:
        r.stop()


def test_a_wrong_password_is_shown_in_the_form(shop, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    config = tmp_path / "router.yaml"
    config.write_text((ROOT / "router" / "router.yaml").read_text())
    r = RouterServer(supergraph, config,
                     env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
    try:
        page = browser.new_page()
        page.goto(r.base + "/")
        page.wait_for_selector(".graphiql-execute-button", timeout=20_000)
        page.fill("#sign-in-email", f"nobody_{uuid.uuid4().hex[:8]}@example.com")
        page.fill("#sign-in-password", "not the password")
        page.click("#sign-in-submit")
        page.wait_for_function(
            "() => document.getElementById('sign-in-status').innerText === 'Invalid email or password'",
            timeout=20_000)
        assert "Bearer" not in page.locator(".graphiql-editor-tool .graphiql-editor").last.inner_text()
        page.close()
    finally:
        r.stop()
