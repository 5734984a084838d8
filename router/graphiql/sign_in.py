"""GraphiQL's sign-in form (`graphiql.sign_in`): e-mail and password above the IDE, sent as the
configured login mutation to this router; the token it returns fills the headers editor as
`Authorization: Bearer ...`, visibly, so the next query (and the schema) runs signed in
without anyone editing headers by hand.

The token is kept by the page only (GraphiQL's `shouldPersistHeaders` stays off, so it never
reaches localStorage); the password goes only to the router's own endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import ConfigError
from ..settings import Settings, validate

DEFAULT_MUTATION = (
    "mutation SignIn($email: String!, $password: String!) "
    "{ login(email: $email, password: $password) { token } }"
)
DEFAULT_TOKEN_PATH = "login.token"


@dataclass(frozen=True)
class SignIn:
    mutation: str = DEFAULT_MUTATION
    token_path: str = DEFAULT_TOKEN_PATH

    def settings(self) -> dict[str, Any]:
        return {"mutation": self.mutation, "tokenPath": self.token_path.split(".")}


class SignInSettings(Settings):
    """`graphiql.sign_in:` as a mapping."""

    mutation: str = DEFAULT_MUTATION  # takes $email and $password
    token_path: str = DEFAULT_TOKEN_PATH  # dotted, under `data`


def parse(raw: Any) -> SignIn | None:
    """`sign_in: true` (the shop's `login(email, password) { token }`), `false`, or a mapping
    with `mutation` (taking `$email` and `$password`) and `token_path` (dotted, under `data`)."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return SignIn()
    if isinstance(raw, SignInSettings):
        s = raw
    else:
        s = validate(SignInSettings, "graphiql.sign_in", raw)
    mutation = s.mutation or DEFAULT_MUTATION
    token_path = s.token_path or DEFAULT_TOKEN_PATH
    if "$email" not in mutation or "$password" not in mutation:
        raise ConfigError("graphiql.sign_in.mutation: must take the variables $email and $password")
    if not all(token_path.split(".")):
        raise ConfigError(f"graphiql.sign_in.token_path: expected a dotted path like login.token, got {token_path!r}")
    return SignIn(mutation=mutation, token_path=token_path)


# The form, styled inline (the page's CSP allows inline styles, not inline handlers).
FORM = """<form id="sign-in" style="display:flex;gap:8px;align-items:center;padding:6px 12px;
 font:14px system-ui,sans-serif;border-bottom:1px solid #ddd;height:28px">
<strong>Sign in</strong>
<input id="sign-in-email" type="email" placeholder="e-mail" autocomplete="username" required>
<input id="sign-in-password" type="password" placeholder="password" autocomplete="current-password" required>
<button id="sign-in-submit" type="submit">Sign in</button>
<button id="sign-out" type="button" hidden>Sign out</button>
<span id="sign-in-status" role="status"></span>
</form>"""

# Runs inside the page's nonce'd script, after `render(headers)` is defined.
SCRIPT = """
  var form = document.getElementById("sign-in");
  var status = document.getElementById("sign-in-status");
  var signOut = document.getElementById("sign-out");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = "signing in…";
    fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", "accept": "application/json" },
      body: JSON.stringify({ query: settings.signIn.mutation, variables: {
        email: document.getElementById("sign-in-email").value,
        password: document.getElementById("sign-in-password").value } })
    }).then(function (response) { return response.json(); }).then(function (body) {
      var token = body && body.data;
      settings.signIn.tokenPath.forEach(function (key) { token = token && token[key]; });
      if (typeof token !== "string" || !token) {
        var error = body && body.errors && body.errors[0];
        status.textContent = (error && error.message) || "sign-in failed";
        return;
      }
      document.getElementById("sign-in-password").value = "";
      status.textContent = "signed in as " + document.getElementById("sign-in-email").value;
      signOut.hidden = false;
      render(JSON.stringify({ Authorization: "Bearer " + token }, null, 2));
    }).catch(function () { status.textContent = "sign-in failed: the router did not answer"; });
  });
  signOut.addEventListener("click", function () {
    signOut.hidden = true;
    status.textContent = "signed out";
    render("");
  });
"""
