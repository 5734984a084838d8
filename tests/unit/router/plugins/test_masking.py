"""Error masking decisions."""

import pytest

from router.config import ConfigError
from router.pipeline import Context, GraphQLRequest
from router.plugins.masking import MaskingPlugin

INTERNAL = {"message": "db at 10.0.0.5 down", "path": ["a"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "serviceName": "users", "stacktrace": ["x"]}}
NOT_FOUND = {"message": "no such order", "path": ["b"],
             "extensions": {"code": "NOT_FOUND", "serviceName": "orders", "exception": {"stacktrace": ["y"]}}}
NO_CODE = {"message": "TypeError: x is undefined", "path": ["c"], "extensions": {"serviceName": "orders"}}
ROUTER = {"message": "Unauthorized field or type", "path": ["d"], "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}}


async def masked(plugin, *errors):
    ctx = Context(GraphQLRequest("{ a }"), None)  # type: ignore[arg-type]
    ctx.result = {"errors": [dict(e) for e in errors], "data": None}
    await plugin.on_response(ctx)
    return ctx.result["errors"]


async def test_unsafe_codes_are_masked_with_a_request_id(caplog):
    out = await masked(MaskingPlugin(), INTERNAL, NOT_FOUND, NO_CODE, ROUTER)
    rid = out[0]["extensions"]["requestId"]
    assert out[0] == {"message": "Internal server error", "path": ["a"],
                      "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": rid}}
    assert out[1] == {"message": "no such order", "path": ["b"],
                      "extensions": {"code": "NOT_FOUND", "serviceName": "orders"}}  # kept, minus the trace
    assert out[2]["message"] == "Internal server error" and out[2]["extensions"]["requestId"] == rid
    assert out[3] == ROUTER
    assert rid in caplog.text and "db at 10.0.0.5 down" in caplog.text  # operators can find it


async def test_modes_include_and_per_subgraph():
    out = await masked(MaskingPlugin(mode="all"), NOT_FOUND)
    assert out[0]["message"] == "Internal server error"
    custom = {"message": "order already paid", "extensions": {"code": "ORDER_ALREADY_PAID", "serviceName": "p"}}
    out = await masked(MaskingPlugin.from_yaml({"mode": "internal"}, None), INTERNAL, NOT_FOUND, NO_CODE, custom)
    assert [e["message"] for e in out] == ["Internal server error", "no such order", "Internal server error",
                                           "order already paid"]
    out = await masked(MaskingPlugin(), custom)  # not in the default safe codes
    assert out[0]["message"] == "Internal server error"
    out = await masked(MaskingPlugin.from_yaml({"include_subgraph_errors": True}, None), INTERNAL)
    assert out[0]["message"] == "db at 10.0.0.5 down" and "stacktrace" not in out[0]["extensions"]
    p = MaskingPlugin.from_yaml({"include_subgraph_errors": {"all": False, "orders": True}}, None)
    out = await masked(p, INTERNAL, NO_CODE)
    assert out[0]["message"] == "Internal server error" and out[1]["message"] == NO_CODE["message"]
    p = MaskingPlugin.from_yaml({"safe_codes": ["CONFLICT"], "message": "Something went wrong"}, None)
    out = await masked(p, NOT_FOUND)
    assert out[0]["message"] == "Something went wrong"


def test_config_errors():
    with pytest.raises(ConfigError, match="error_masking.mode"):
        MaskingPlugin.from_yaml({"mode": "some"}, None)
    with pytest.raises(ConfigError, match="include_subgraph_errors"):
        MaskingPlugin.from_yaml({"include_subgraph_errors": "yes"}, None)
    with pytest.raises(ConfigError, match="error_masking.safe: unknown key"):
        MaskingPlugin.from_yaml({"safe": []}, None)
    assert MaskingPlugin.from_yaml({"enabled": False}, None) is None
