"""Frozen value classes without the `dataclasses` machinery: the start-up of `decide --bundle`.

A frozen dataclass writes the source of its methods and compiles it when its module is imported,
and the `dataclasses` module imports `inspect` (and with it `ast`, `dis`, `tokenize`): together
about a third of a one-input `decide --bundle` process beyond the interpreter's own start. The
types every path uses (``Pos``, ``Problem``, the policy model) derive from ``Frozen`` instead: the
methods are written once here and cached as bytecode, and each class lists its fields in
``__match_args__`` (in the constructor's order; ``__slots__`` is the same tuple) and assigns them
in its own ``__init__`` (typed, so mypy checks every call).

What a frozen, slotted dataclass gives is kept: equality and hashing by field values (and class),
immutability (assigning raises ``AttributeError`` with the dataclass's message), the dataclass's
``repr``, ``__match_args__``, pickling and copying; ``replace`` stands for ``dataclasses.replace``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, TypeVar

_F = TypeVar("_F", bound="Frozen")

set_field = object.__setattr__  # what a subclass's __init__ assigns its fields with


class Frozen:
    __slots__: tuple[str, ...] = ()
    __match_args__: tuple[str, ...] = ()
    _values: Any  # the fields' values as a tuple (one field: the value itself), per class

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._values = attrgetter(*cls.__match_args__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(self._values(self) == self._values(other))

    def __hash__(self) -> int:
        return hash(self._values(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{self.__class__.__qualname__}({fields})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, tuple(getattr(self, name) for name in self.__match_args__))

    def replace(self: _F, **changes: Any) -> _F:
        """A copy with ``changes`` (field name -> value), as ``dataclasses.replace`` makes one."""
        for name in self.__match_args__:
            changes.setdefault(name, getattr(self, name))
        cls: Any = self.__class__
        return cls(**changes)  # type: ignore[no-any-return]
