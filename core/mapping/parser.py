"""Parse mapping expressions into a small syntax tree (no Python evaluation anywhere).

Grammar (whitespace is free between tokens):

    expr     := primary ( "." name | "[" index "]" )*
    primary  := literal | list | object | call | name | "$"
    call     := IDENT "(" [ expr ( "," expr )* ] ")"
    list     := "[" [ expr ( "," expr )* ] "]"
    object   := "{" [ key ":" expr ( "," key ":" expr )* ] "}"
    key      := 'text' | "text" | IDENT | number
    name     := IDENT | `quoted name`
    index    := integer | 'text'
    literal  := 'text' | "text" | number | true | false | null

A bare name starts a path into the record (`Worker.Emails[0].Address`); `$` is the whole record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.mapping.failures import ExpressionError

MAX_DEPTH = 40

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w@]))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]*`)
  | (?P<ident>(?:[^\W\d]|@)[\w@\-]*(?::[^\W\d][\w@\-]*)*)
  | (?P<punct>[()\[\]{},.:$])
    """,
    re.VERBOSE,
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"}
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    column: int


@dataclass(frozen=True)
class Literal:
    value: Any
    column: int


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Node, ...]
    column: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    column: int


@dataclass(frozen=True)
class Path:
    """Steps (keys and list indexes) taken from `base`, or from the record when base is None."""

    base: Node | None
    steps: tuple[str | int, ...]
    column: int


@dataclass(frozen=True)
class ObjectExpr:
    items: tuple[tuple[str, Node], ...]
    column: int


Node = Literal | ListExpr | ObjectExpr | Call | Path


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            if char in "'\"`":
                raise ExpressionError(f"unterminated {char}-quoted text", pos + 1)
            raise ExpressionError(f"unexpected character {char!r}", pos + 1)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def unquote(text: str) -> str:
    """The value of a quoted string token; unknown escapes keep their backslash (regexes read well)."""
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self, text: str | None = None) -> Token:
        token = self.tokens[self.pos]
        if text is not None and token.text != text:
            found = "end of expression" if token.kind == "end" else repr(token.text)
            raise ExpressionError(f"expected {text!r}, found {found}", token.column)
        self.pos += 1
        return token

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} deep", self.peek().column)
        node = self.postfix(self.primary())
        self.depth -= 1
        return node

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return Literal(unquote(token.text), token.column)
        if token.kind == "number":
            is_int = re.fullmatch(r"-?\d+", token.text) is not None
            return Literal(int(token.text) if is_int else float(token.text), token.column)
        if token.text == "[":
            return ListExpr(self.items("]"), token.column)
        if token.text == "{":
            return ObjectExpr(self.entries(), token.column)
        if token.text == "$":
            return Path(None, (), token.column)
        if token.kind == "quoted":
            return Path(None, (token.text[1:-1],), token.column)
        if token.kind == "ident":
            if self.peek().text == "(":
                self.take("(")
                return Call(token.text, self.items(")"), token.column)
            if token.text in _KEYWORDS:
                return Literal(_KEYWORDS[token.text], token.column)
            return Path(None, (token.text,), token.column)
        found = "end of expression" if token.kind == "end" else repr(token.text)
        raise ExpressionError(f"expected a value, path or function call, found {found}", token.column)

    def items(self, closer: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.peek().text == closer:
            self.take()
            return ()
        while True:
            items.append(self.expression())
            if self.peek().text == ",":
                self.take()
                continue
            self.take(closer)
            return tuple(items)

    def entries(self) -> tuple[tuple[str, Node], ...]:
        entries: list[tuple[str, Node]] = []
        seen: set[str] = set()
        if self.peek().text == "}":
            self.take()
            return ()
        while True:
            token = self.take()
            if token.kind == "string":
                key = unquote(token.text)
            elif token.kind in ("ident", "number"):
                key = token.text
            else:
                raise ExpressionError("expected a key ('text') in { }", token.column)
            if key in seen:
                raise ExpressionError(f"key {key!r} appears twice in {{ }}", token.column)
            seen.add(key)
            self.take(":")
            entries.append((key, self.expression()))
            if self.peek().text == ",":
                self.take()
                continue
            self.take("}")
            return tuple(entries)

    def postfix(self, node: Node) -> Node:
        while self.peek().text in (".", "["):
            if self.take().text == ".":
                step: str | int = self.name()
            else:
                step = self.index()
                self.take("]")
            if isinstance(node, Path):
                node = Path(node.base, (*node.steps, step), node.column)
            else:
                node = Path(node, (step,), node.column)
        return node

    def name(self) -> str:
        token = self.take()
        if token.kind == "ident":
            return token.text
        if token.kind == "quoted":
            return token.text[1:-1]
        raise ExpressionError("expected a field name after '.'", token.column)

    def index(self) -> str | int:
        token = self.take()
        if token.kind == "number" and re.fullmatch(r"-?\d+", token.text):
            return int(token.text)
        if token.kind == "string":
            return unquote(token.text)
        raise ExpressionError("expected a whole-number index or a quoted key inside [ ]", token.column)


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """The syntax tree of one expression; raises ExpressionError with the column of the problem.

    Kept per text (the tree is immutable): every `Hub` compiles the same mapping files again.
    """
    if not text.strip():
        raise ExpressionError("empty expression", 1)
    parser = _Parser(text)
    node = parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise ExpressionError(f"unexpected {token.text!r} after a complete expression", token.column)
    return node


def parse_path(text: str) -> tuple[str | int, ...]:
    """Steps of a path given as text (the 'path' argument of pluck/where/find/to_object)."""
    node = parse(text)
    if not isinstance(node, Path) or node.base is not None:
        raise ExpressionError(f"{text!r} is not a path such as 'Address' or 'Type.Code'")
    return node.steps
