"""The `subscriptions:` section: defaults without it, durations, and errors naming the key."""

from __future__ import annotations

import pytest

from router.config import ConfigError, load_config
from router.subscriptions.settings import SubscriptionSettings, load


def _settings(tmp_path, text: str, env: dict[str, str] | None = None) -> SubscriptionSettings:
    path = tmp_path / "router.yaml"
    path.write_text(text)
    return load(load_config(str(path), env=env or {}))


def test_defaults_without_the_section(tmp_path):
    assert _settings(tmp_path, "server: {port: 4000}\n") == SubscriptionSettings()


def test_values_and_durations(tmp_path):
    got = _settings(tmp_path, "subscriptions: {max_per_client: 3, queue_size: 8, keep_alive: 500ms, "
                              "connection_init_timeout: 2s, upstream_timeout: 1m, enabled: false}\n")
    assert got == SubscriptionSettings(enabled=False, max_per_client=3, queue_size=8, keep_alive=0.5,
                                       connection_init_timeout=2.0, upstream_timeout=60.0)


def test_an_environment_variable_sets_a_key(tmp_path):
    got = _settings(tmp_path, "subscriptions: {}\n", {"ROUTER_SUBSCRIPTIONS__MAX_PER_CLIENT": "5"})
    assert got.max_per_client == 5


@pytest.mark.parametrize(("text", "message"), [
    ("subscriptions: {max_per_client: 0}", "subscriptions.max_per_client: must be at least 1"),
    ("subscriptions: {queue_size: lots}", "subscriptions.queue_size: expected an integer"),
    ("subscriptions: {keep_alive: soon}", "subscriptions.keep_alive: expected seconds or a duration"),
    ("subscriptions: {max_open: 3}", "subscriptions.max_open: unknown key"),
    ("subscriptions: [1]", "subscriptions: expected a mapping"),
])
def test_bad_values_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        _settings(tmp_path, text + "\n")
