"""Rendered fragments kept in this worker process while their version holds.

A fragment is kept under a key (what it shows: language, filters, page) together with the
version it was built from (app/freshness.py, kept by database triggers) and a time it is good until (when time alone changes
it: an activity ending leaves the upcoming list). Each worker keeps its own; a bounded number of
keys, least recently used dropped first. Stored in `app.extensions`, so every app (and every test)
starts empty. `kept()` keeps any other value the same way (app/kept.py keeps report files).
"""
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from threading import Lock
from typing import Any

from flask import current_app
from markupsafe import Markup

SIZE = 256


class FragmentCache:
    def __init__(self, size: int = SIZE):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()

    def get(self, key, version: int, now: datetime) -> Markup | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != version or now >= found[1]:
                return None
            self._items.move_to_end(key)
            return found[2]

    def put(self, key, version: int, until: datetime, value):
        with self._lock:
            self._items[key] = (version, until, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def kept(store: str, key, version: int, now: datetime, build: Callable[[], tuple[Any, datetime]]):
    """The value kept in `store` under key and version, or build() → (value, good until) kept now."""
    cache = current_app.extensions.setdefault(store, FragmentCache())
    found = cache.get(key, version, now)
    if found is not None:
        return found
    value, until = build()
    return cache.put(key, version, until, value)


def fragment(name: str, key, version: int, now: datetime, build: Callable[[], tuple[str, datetime]]) -> Markup:
    """The kept fragment, or build() → (html, good until) kept now."""
    def built() -> tuple[Markup, datetime]:
        html, until = build()
        return Markup(html), until

    return kept(f"fragments:{name}", key, version, now, built)
