"""Which of a storage module's writers a test's actions called, in order (how rows were written, not what)."""

from __future__ import annotations

from types import ModuleType

import pytest


def record_calls(monkeypatch: pytest.MonkeyPatch, module: ModuleType, names: tuple[str, ...]) -> list[str]:
    """Wrap these async functions of `module` so each call appends its name to the returned list."""
    calls: list[str] = []
    for name in names:
        real = getattr(module, name)

        async def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return await _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return calls
