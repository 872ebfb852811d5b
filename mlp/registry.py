"""One registry per kind of part (activations, losses, optimizers, schedules,
initialisers): a dict from the name params.yaml uses to what it names, as scikit-learn's
neural_network keeps them. The names are the only list: a part's own `name` is its key."""

from collections.abc import Mapping
from typing import TypeVar

Part = TypeVar("Part")


def by_name(*kinds: type) -> dict[str, type]:
    """{kind.name: kind} for classes that carry their name."""
    return {kind.name: kind for kind in kinds}


def lookup(registry: Mapping[str, Part], name: str, what: str) -> Part:
    """registry[name], or a ValueError that lists every name `what` may take."""
    try:
        return registry[name]
    except KeyError:
        raise ValueError(f"unknown {what} {name!r}; expected one of {', '.join(registry)}") from None
