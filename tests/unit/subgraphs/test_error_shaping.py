"""Store outages reach clients as a retryable SERVICE_UNAVAILABLE, other surprises as
INTERNAL_SERVER_ERROR; neither shows the exception's text (hosts, internals)."""

from graphql import GraphQLError
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from subgraphs.common.masking import shape_error


def raised(original: Exception) -> GraphQLError:
    return GraphQLError(str(original), path=["order"], original_error=original)


def test_store_outages_are_retryable() -> None:
    for outage in (ServerSelectionTimeoutError("db-0.internal:27017: timed out"), AutoReconnect("primary stepped down")):
        shaped = shape_error(raised(outage))
        assert shaped.extensions["code"] == "SERVICE_UNAVAILABLE"  # type: ignore[index]
        assert "internal" not in shaped.message and shaped.path == ["order"]


def test_other_unexpected_errors_stay_internal() -> None:
    shaped = shape_error(raised(KeyError("secret detail")))
    assert shaped.extensions["code"] == "INTERNAL_SERVER_ERROR"  # type: ignore[index]
    assert "secret" not in shaped.message
