"""The subgraphs' environment, read through pydantic-settings models: defaults, blanks, and
a clear error naming the variable for a bad value (the process stops at start with it)."""

import pytest

from subgraphs.common.config import ConfigError, Env, ServiceSettings
from subgraphs.common.events.runtime import EventsSettings
from subgraphs.payments.app import PaymentsEnv
from subgraphs.users.config import UsersSettings


def test_defaults_blanks_and_trimmed_values():
    plain = ServiceSettings.from_env("orders", 3002, Env({}))
    assert (plain.port, plain.mongodb_db, plain.log_level, plain.max_query_depth) == (3002, "orders", "INFO", 20)
    set_ = ServiceSettings.from_env("orders", 3002, Env({"PORT": " 4100 ", "LOG_LEVEL": "   ", "MONGODB_DB": "o2",
                                                         "MAX_QUERY_DEPTH": "7", "UNRELATED": "x"}))
    assert (set_.port, set_.log_level, set_.mongodb_db, set_.max_query_depth) == (4100, "INFO", "o2", 7)
    assert Env({"PAYMENTS_DECLINE_ABOVE": "0"}).load(PaymentsEnv).decline_above == 0


def test_the_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("PORT", "4242")
    monkeypatch.setenv("JWT_AUDIENCE", "other")
    settings = ServiceSettings.from_env("users", 3001)
    assert (settings.port, settings.jwt_audience) == (4242, "other")


@pytest.mark.parametrize("environ,message", [
    ({"PORT": "abc"}, "PORT: expected an integer, got 'abc'"),
    ({"PORT": "70000"}, "PORT: must be at most 65535, got '70000'"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'"),
    ({"MAX_QUERY_COST": "0"}, "MAX_QUERY_COST: must be at least 1, got '0'"),
])
def test_a_bad_value_names_the_variable(environ, message):
    with pytest.raises(ConfigError) as e:
        ServiceSettings.from_env("users", 3001, Env(environ))
    assert str(e.value) == message


def test_service_specific_variables():
    with pytest.raises(ConfigError, match="^JWT_PRIVATE_KEY_FILE: required"):
        UsersSettings.from_env(Env({}))
    users = UsersSettings.from_env(Env({"JWT_PRIVATE_KEY_FILE": "/k.pem", "BCRYPT_ROUNDS": "4"}))
    assert (users.jwt_private_key_file, users.bcrypt_rounds, users.token_ttl_seconds) == ("/k.pem", 4, 3600)
    with pytest.raises(ConfigError, match="^BCRYPT_ROUNDS: must be at most 16"):
        UsersSettings.from_env(Env({"JWT_PRIVATE_KEY_FILE": "/k.pem", "BCRYPT_ROUNDS": "40"}))
    with pytest.raises(ConfigError, match="go together"):
        UsersSettings.from_env(Env({"JWT_PRIVATE_KEY_FILE": "/k.pem", "USERS_BOOTSTRAP_ADMIN_EMAIL": "a@b.c"}))
    events = EventsSettings.from_env(Env({"EVENTS_PEERS": "orders=http://o:1", "EVENTS_SECRET": "s" * 16,
                                          "EVENTS_RELAY_INTERVAL_MS": "100"}))
    assert (events.peers, events.relay_interval, events.namespace) == ({"orders": "http://o:1"}, 0.1, "shop")
    with pytest.raises(ConfigError, match="^EVENTS_RELAY_INTERVAL_MS: must be at least 50"):
        EventsSettings.from_env(Env({"EVENTS_RELAY_INTERVAL_MS": "10"}))
