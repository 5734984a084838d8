"""CSRF rules (which requests a browser could send without a preflight) and CORS config."""

import pytest

from router.config import ConfigError
from router.plugins.cors import CorsPlugin
from router.plugins.csrf import CsrfPlugin


@pytest.mark.parametrize("method,headers,ok", [
    ("POST", {"content-type": "application/json"}, True),
    ("POST", {"content-type": "application/json; charset=utf-8"}, True),
    ("POST", {"content-type": "application/graphql-response+json"}, True),
    ("POST", {"content-type": "text/plain"}, False),
    ("POST", {"content-type": "Text/Plain; charset=utf-8"}, False),
    ("POST", {"content-type": "application/x-www-form-urlencoded"}, False),
    ("POST", {"content-type": "multipart/form-data; boundary=x"}, False),
    ("POST", {}, False),
    ("POST", {"content-type": "text/plain", "apollo-require-preflight": ""}, True),
    ("GET", {}, False),
    ("GET", {"x-apollo-operation-name": "Q"}, True),
    ("GET", {"apollo-require-preflight": "true"}, True),
    ("GET", {"content-type": "application/json"}, True),
    ("GET", {"content-type": "text/plain", "apollo-require-preflight": "true"}, False),
    ("GET", {"content-type": "application/octet-stream", "apollo-require-preflight": "true"}, False),
])
def test_simple_requests_need_a_preflight_header(method, headers, ok):
    assert CsrfPlugin().preflighted(method, headers) is ok


def test_configured_headers_replace_the_defaults():
    p = CsrfPlugin.from_yaml({"required_headers": ["X-CSRF-Token"]}, None)
    assert p.preflighted("GET", {"x-csrf-token": "1"})
    assert not p.preflighted("GET", {"apollo-require-preflight": "1"})
    assert CsrfPlugin.from_yaml({"enabled": False}, None) is None
    with pytest.raises(ConfigError, match="csrf.required_headers"):
        CsrfPlugin.from_yaml({"required_headers": []}, None)
    with pytest.raises(ConfigError, match="csrf.headers: unknown key"):
        CsrfPlugin.from_yaml({"headers": ["x"]}, None)


@pytest.mark.parametrize("body,message", [
    ({"origins": ["*"], "allow_credentials": True}, "cannot be combined"),
    ({"origins": ["https://a.test/path"]}, "is not an origin"),
    ({}, "give origins or origin_regex"),
    ({"origin_regex": "("}, "invalid regular expression"),
    ({"origins": ["https://a.test"], "methods": ["DELETE"]}, "cors.methods"),
    ({"origins": ["https://a.test"], "max_age": -1}, "cors.max_age"),
    ({"origins": ["https://a.test"], "allow_origins": []}, "cors.allow_origins: unknown key"),
])
def test_cors_config_errors(body, message):
    with pytest.raises(ConfigError, match=message):
        CorsPlugin.from_yaml(body, None)
