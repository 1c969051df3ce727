"""MLflow search filter strings and order-by clauses, parsed and evaluated on runs.

Grammar (MLflow's): clauses joined by `AND`; each is `<entity>.<key> <op> <value>` where entity
is `metrics`, `params`, `tags` or `attributes` (singular forms and `attr`/`run` too), the key may
be quoted with backticks or double quotes, `op` is one of `= != > >= < <= LIKE ILIKE IN NOT IN`,
and the value a number (metrics, times) or a quoted string. A string that does not parse is
INVALID_PARAMETER_VALUE, never a server error.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from maestro.mlflow_compat.errors import invalid

_ENTITIES = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "parameter": "params",
    "parameters": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
}
_ATTRIBUTE_ALIASES = {"run_id": "run_id", "run_uuid": "run_id", "created": "start_time"}
_COMPARATORS = ("=", "!=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "IN", "NOT IN")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<backtick>`[^`]*`)
      | (?P<number>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),.])
      | (?P<word>[A-Za-z_][A-Za-z0-9_\-:/]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Clause:
    entity: str  # metrics | params | tags | attributes
    key: str
    comparator: str
    value: Any


@dataclass(frozen=True)
class OrderBy:
    entity: str
    key: str
    ascending: bool


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid(f"invalid filter string near {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _unquote(token: str) -> str:
    return token[1:-1].replace("\\'", "'").replace('\\"', '"')


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid("the filter string ends too early")
        self.index += 1
        return token

    def identifier(self) -> tuple[str, str]:
        """`entity.key` (or a bare attribute name) -> (entity, key)."""
        kind, text = self.take()
        if kind != "word":
            raise invalid(f"expected an identifier such as metrics.accuracy, got {text!r}")
        nxt = self.peek()
        if nxt == ("punct", "."):
            entity = _ENTITIES.get(text.lower())
            if entity is None:
                raise invalid(f"invalid entity {text!r}: use metrics, params, tags or attributes")
            self.take()
            kind, key = self.take()
            if kind in ("backtick", "string"):
                key = _unquote(key)
            elif kind != "word":
                raise invalid(f"invalid key {key!r}")
            # A dotted key (metrics.val.loss) continues until the comparator.
            while self.peek() == ("punct", "."):
                self.take()
                key += "." + self.take()[1]
            return entity, key
        return "attributes", text

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return _unquote(text)
        if kind == "number":
            return float(text)
        raise invalid(f"expected a quoted string or a number, got {text!r}")


def parse_filter(text: str | None) -> list[Clause]:
    if not text or not text.strip():
        return []
    reader = _Reader(_tokens(text))
    clauses: list[Clause] = []
    while True:
        entity, key = reader.identifier()
        if entity == "attributes":
            key = _ATTRIBUTE_ALIASES.get(key, key)
        _, text_ = reader.take()
        comparator = text_.upper()
        if comparator == "NOT":
            if reader.take()[1].upper() != "IN":
                raise invalid("expected IN after NOT")
            comparator = "NOT IN"
        if comparator not in _COMPARATORS:
            raise invalid(f"invalid comparator {text_!r}")
        if comparator in ("IN", "NOT IN"):
            if reader.take() != ("punct", "("):
                raise invalid(f"{comparator} needs a parenthesised list")
            values = [reader.value()]
            while reader.peek() == ("punct", ","):
                reader.take()
                values.append(reader.value())
            if reader.take() != ("punct", ")"):
                raise invalid("unclosed list")
            value: Any = values
        else:
            value = reader.value()
        if entity == "metrics" and not isinstance(value, float):
            raise invalid(f"metric {key!r} must be compared with a number")
        if entity in ("params", "tags") and not isinstance(value, str | list):
            raise invalid(f"{entity}.{key} must be compared with a quoted string")
        clauses.append(Clause(entity, key, comparator, value))
        nxt = reader.peek()
        if nxt is None:
            return clauses
        if nxt[0] != "word" or nxt[1].upper() != "AND":
            raise invalid("clauses must be joined with AND (OR is not supported)")
        reader.take()


def parse_order_by(items: Sequence[str]) -> list[OrderBy]:
    orders: list[OrderBy] = []
    for item in items:
        reader = _Reader(_tokens(item))
        entity, key = reader.identifier()
        if entity == "attributes":
            key = _ATTRIBUTE_ALIASES.get(key, key)
        ascending = True
        nxt = reader.peek()
        if nxt is not None:
            word = reader.take()[1].upper()
            if word not in ("ASC", "DESC") or reader.peek() is not None:
                raise invalid(f"invalid order_by clause {item!r}")
            ascending = word == "ASC"
        orders.append(OrderBy(entity, key, ascending))
    return orders


def _like(pattern: str, value: str, *, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.fullmatch(regex, value, flags) is not None


def _compare(actual: Any, comparator: str, expected: Any) -> bool:
    if actual is None:
        return False
    if comparator in ("IN", "NOT IN"):
        inside = actual in expected
        return inside if comparator == "IN" else not inside
    if comparator in ("LIKE", "ILIKE"):
        return _like(str(expected), str(actual), ignore_case=comparator == "ILIKE")
    if isinstance(expected, float):
        try:
            actual = float(actual)
        except (TypeError, ValueError):
            return False
    elif not isinstance(actual, str):
        actual = str(actual)
    operations: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return operations[comparator](actual, expected)


Lookup = Callable[[str, str], Any]


def matches(clauses: Sequence[Clause], lookup: Lookup) -> bool:
    """`lookup(entity, key)` is the run's value, or None when the run lacks it."""
    return all(_compare(lookup(c.entity, c.key), c.comparator, c.value) for c in clauses)


def sort_key(orders: Sequence[OrderBy], lookup: Lookup) -> tuple[Any, ...]:
    """A key that puts runs lacking a value last whatever the direction, as MLflow does."""
    parts: list[Any] = []
    for order in orders:
        value = lookup(order.entity, order.key)
        if value is None:
            parts.append((1, 0))
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append((0, _Directed(float(value), order.ascending)))
        else:
            parts.append((0, _Directed(str(value), order.ascending)))
    return tuple(parts)


class _Directed:
    """Wraps a value so one sort handles ascending and descending keys together."""

    __slots__ = ("ascending", "value")

    def __init__(self, value: Any, ascending: bool) -> None:
        self.value = value
        self.ascending = ascending

    def __lt__(self, other: "_Directed") -> bool:
        return self.value < other.value if self.ascending else self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Directed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def lookup_in(values: Mapping[str, Mapping[str, Any]]) -> Lookup:
    return lambda entity, key: values.get(entity, {}).get(key)
