"""Declarative mappings: source records to canonical fragments, from YAML files in mappings/.

`load_mappings` reads and compiles every file once; `MappingSet.for_stream` gives the
`StreamMapping` of a connector stream; `StreamMapping.apply(record)` gives a `Fragment` (or None
when the stream's `when:` filter is false) and raises `RecordError` for a record that cannot be
mapped. The language is described in docs/mapping.md.
"""

from core.mapping.compiler import compile_expression
from core.mapping.failures import EvalError, ExpressionError
from core.mapping.loader import MappingSet, load_mappings, mapping_files
from core.mapping.stream import FieldPlan, Fragment, StreamMapping

__all__ = [
    "EvalError",
    "ExpressionError",
    "FieldPlan",
    "Fragment",
    "MappingSet",
    "StreamMapping",
    "compile_expression",
    "load_mappings",
    "mapping_files",
]
