"""Throttling of login and registration attempts, in the limiter's shared storage.

The storage is FLASK_RATELIMIT_STORAGE_URI (Redis for several servers), so the counts hold across
worker processes when it is shared.
"""
import time

from flask import current_app
from limits import parse_many

from ..extensions import limiter


def wait_seconds(scope: str, keys: list[str], limits: str) -> int:
    """Seconds until another attempt is allowed for any of the keys; 0 when allowed now."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    strategy = limiter.limiter
    wait = 0
    for item in parse_many(limits):
        for key in keys:
            if not strategy.test(item, scope, key):
                reset = strategy.get_window_stats(item, scope, key).reset_time
                wait = max(wait, int(reset - time.time()) + 1)
    return wait


def count_attempt(scope: str, keys: list[str], limits: str) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in parse_many(limits):
        for key in keys:
            limiter.limiter.hit(item, scope, key)
