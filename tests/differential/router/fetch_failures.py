"""A recorded difference from the oracle, applied by both router differential suites."""


# A fetch that failed as a whole (subgraph down, timeout, open breaker): @apollo/gateway 2.14.4
# gives its error no path; ours points at the first field or entity the fetch would have filled,
# as Apollo Router points at the fetch's place and as the GraphQL spec asks of an error raised
# for a field. So ours must have a path that leads to a null in the data, and the comparison
# with the oracle ignores it.
FETCH_FAILURE_CODES = {"SUBGRAPH_REQUEST_FAILED", "SUBGRAPH_TIMEOUT", "INVALID_SUBGRAPH_RESPONSE",
                       "SUBGRAPH_CIRCUIT_OPEN", "SERVICE_UNAVAILABLE"}


def value_at(data, path):
    """The value at `path`, or None where a null on the way (propagated from below) ends it."""
    for step in path:
        if data is None:
            return None
        data = data[step]
    return data


def without_fetch_failure_paths(body: dict) -> dict:
    errors = []
    for e in body.get("errors") or []:
        if (e.get("extensions") or {}).get("code") in FETCH_FAILURE_CODES:
            assert e.get("path"), f"a failed fetch's error without a path: {e}"
            assert value_at(body["data"], e["path"]) is None, f"{e['path']} is not null in {body['data']}"
            e = {k: v for k, v in e.items() if k != "path"}
        errors.append(e)
    return {**body, "errors": errors} if "errors" in body else body
