"""A compiled stream mapping: applies to one raw record and yields a canonical fragment.

`apply` is the hot path of every sync, so the plan is prepared at load: one evaluator and one
coercion per field, no parsing, no lookups by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.errors import RecordError
from core.mapping.coerce import Coercer, text_field
from core.mapping.failures import EvalError, type_name
from core.mapping.functions import Compiled
from core.mapping.values import truthy


@dataclass(frozen=True)
class Fragment:
    """What one source record says about one canonical entity.

    `fields` holds every mapped field; a field the record has no value for is present as None
    (so a value that disappears from the source shows as a change).
    """

    entity: str
    fields: dict[str, Any]


_new = object.__new__


@dataclass(frozen=True)
class FieldPlan:
    name: str
    expression: str
    compiled: Compiled
    coerce: Coercer | None
    origin: str = ""


@dataclass(frozen=True)
class StreamMapping:
    """How records of one connector stream become fragments of one canonical entity."""

    connector: str
    stream: str
    entity: str
    fields: tuple[FieldPlan, ...]
    required: tuple[str, ...] = ()
    when: Compiled | None = None
    when_text: str | None = None
    #: file:line of the stream in the mapping file that declares it
    where: str = ""
    _plan: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    _direct: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    _text: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        direct = tuple((f.name, f.compiled.key) for f in self.fields if _is_direct_text(f))
        text = tuple(
            (f.name, f.compiled.fn) for f in self.fields if f.coerce is text_field and not _is_direct_text(f)
        )
        plan = tuple((f.name, f.compiled.fn, f.coerce) for f in self.fields if f.coerce is not text_field)
        object.__setattr__(self, "_direct", direct)
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "_plan", plan)

    def apply(self, record: dict[str, Any]) -> Fragment | None:
        """The fragment of `record`; None when the `when:` filter is false.

        Raises RecordError(field=, expression=) when a value cannot be mapped or a required
        field is empty; the message names the failing value, never the whole record.
        """
        if record.__class__ is not dict and not isinstance(record, dict):
            raise RecordError(f"a record must be a JSON object, got {type_name(record)}")
        if self.when is not None:
            passed = self._passes(record)
            if passed is not True and (passed is False or not truthy(passed)):
                return None
        values: dict[str, Any] = {}
        name = ""
        get = record.get
        for name, key in self._direct:  # text fields copied from a top-level key: the common case
            value = get(key)
            if value.__class__ is not str or not value or value.isspace():
                try:
                    value = text_field(value)
                except EvalError as exc:
                    raise self._error(name, exc.message) from None
            values[name] = value
        try:
            for name, evaluate in self._text:
                value = evaluate(record)
                if value.__class__ is not str or not value or value.isspace():
                    value = text_field(value)
                values[name] = value
            for name, evaluate, coerce in self._plan:
                value = evaluate(record)
                values[name] = value if coerce is None else coerce(value)
        except EvalError as exc:
            raise self._error(name, exc.message) from None
        except RecursionError:
            raise self._error(name, "the record is nested too deeply to evaluate") from None
        except Exception as exc:  # a defect in a function must quarantine one record, not stop the sync
            raise self._error(
                name, f"internal error {type(exc).__name__} while evaluating (please report)"
            ) from None
        for required in self.required:
            if values[required] is None:
                raise self._error(
                    required, "required field is empty (the expression gave null or blank text)"
                )
        fragment = _new(Fragment)  # a frozen dataclass built without its (slow) frozen __init__
        slots = fragment.__dict__
        slots["entity"], slots["fields"] = self.entity, values
        return fragment

    def _passes(self, record: dict[str, Any]) -> Any:
        assert self.when is not None
        try:
            return self.when.fn(record)
        except EvalError as exc:
            raise RecordError(exc.message, field="when", expression=self.when_text) from None
        except Exception as exc:  # as in apply: one record is quarantined, the sync goes on
            message = f"internal error {type(exc).__name__} while evaluating (please report)"
            raise RecordError(message, field="when", expression=self.when_text) from None

    def _error(self, name: str, message: str) -> RecordError:
        expression = next((f.expression for f in self.fields if f.name == name), None)
        return RecordError(message, field=name, expression=expression)

    def plan_for(self, name: str) -> FieldPlan | None:
        return next((f for f in self.fields if f.name == name), None)


def _is_direct_text(plan: FieldPlan) -> bool:
    return plan.compiled.key is not None and plan.coerce is text_field
