"""The fixed function library; importing this package registers every function."""

from core.mapping.functions import convert, dates, lists, logic, text
from core.mapping.functions.registry import FUNCTIONS, CompileContext, Compiled, Function

__all__ = [
    "FUNCTIONS",
    "CompileContext",
    "Compiled",
    "Function",
    "convert",
    "dates",
    "lists",
    "logic",
    "text",
]
