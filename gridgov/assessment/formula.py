"""The indicator formula grammar: arithmetic over data elements, parsed by hand (no ``eval``).

::

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := NUMBER | ELEMENT | "(" expression ")" | "-" factor
    NUMBER     := digits ["." digits]
    ELEMENT    := name ("." name)+        name := [a-z_][a-z0-9_]*

Values are exact fractions (``fractions.Fraction``); a division by zero makes the whole value "no data"
(``None``), never an error. A refused formula raises ``DomainError("invalid_formula")`` naming the field and
the character position (counted from 1) and saying why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError

MAX_LENGTH = 500
MAX_DEPTH = 30


@dataclass(frozen=True)
class Node:
    op: str  # "num", "var", "neg", "+", "-", "*", "/"
    value: Fraction | str | None = None
    left: Node | None = None
    right: Node | None = None


class Formula:
    """A parsed formula: ``names`` (the elements it reads, in order) and ``evaluate(values)``."""

    def __init__(self, text: str, root: Node) -> None:
        self.text = text
        self.root = root
        names: list[str] = []
        self._collect(root, names)
        self.names = tuple(dict.fromkeys(names))

    def _collect(self, node: Node | None, names: list[str]) -> None:
        if node is None:
            return
        if node.op == "var":
            names.append(str(node.value))
        self._collect(node.left, names)
        self._collect(node.right, names)

    def evaluate(self, values: Mapping[str, object]) -> Fraction | None:
        """The value with each element read from ``values`` (absent: 0); ``None`` on a division by zero."""
        return _eval(self.root, values)

    @property
    def single(self) -> str | None:
        """The element name when the formula is just one element (its rows can be listed)."""
        return str(self.root.value) if self.root.op == "var" else None

    def __str__(self) -> str:
        return self.text


def _eval(node: Node, values: Mapping[str, object]) -> Fraction | None:
    if node.op == "num":
        return node.value  # type: ignore[return-value]
    if node.op == "var":
        return Fraction(str(values.get(str(node.value)) or 0))
    if node.op == "neg":
        inner = _eval(node.left, values)  # type: ignore[arg-type]
        return None if inner is None else -inner
    left = _eval(node.left, values)  # type: ignore[arg-type]
    right = _eval(node.right, values)  # type: ignore[arg-type]
    if left is None or right is None:
        return None
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if right == 0:
        return None
    return left / right


class _Parser:
    def __init__(self, text: str, field: str, known: Callable[[str], bool]) -> None:
        self.text = text
        self.field = field
        self.known = known
        self.pos = 0
        self.depth = 0

    def fail(self, reason: str, at: int | None = None) -> DomainError:
        position = (self.pos if at is None else at) + 1
        return DomainError(
            "invalid_formula",
            _("公式第 %(position)s 个字符处：%(reason)s") % {"position": position, "reason": reason},
            self.field,
        )

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Node:
        if not self.text.strip():
            raise DomainError("required", _("请填写公式"), self.field)
        node = self.expression()
        if self.peek():
            raise self.fail(_("多余的「%(char)s」") % {"char": self.peek()})
        return node

    def expression(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-") and self.peek():
            op = self.peek()
            self.pos += 1
            node = Node(op, left=node, right=self.term())
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek() in ("*", "/") and self.peek():
            op = self.peek()
            self.pos += 1
            node = Node(op, left=node, right=self.factor())
        return node

    def factor(self) -> Node:
        char = self.peek()
        if not char:
            raise self.fail(_("公式不完整，缺少数据项或数字"))
        if char == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(_("括号嵌套过深"))
            self.pos += 1
            node = self.expression()
            if self.peek() != ")":
                raise self.fail(_("缺少右括号"))
            self.pos += 1
            self.depth -= 1
            return node
        if char == "-":
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(_("负号过多"))
            node = Node("neg", left=self.factor())
            self.depth -= 1
            return node
        if char.isdigit():
            return self.number()
        if char.isascii() and (char.isalpha() or char == "_"):
            return self.element()
        raise self.fail(_("不能识别的字符「%(char)s」") % {"char": char})

    def number(self) -> Node:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        if self.pos < len(self.text) and self.text[self.pos] == ".":
            self.pos += 1
            if not (self.pos < len(self.text) and self.text[self.pos].isdigit()):
                raise self.fail(_("小数点后缺少数字"))
            while self.pos < len(self.text) and self.text[self.pos].isdigit():
                self.pos += 1
        return Node("num", Fraction(self.text[start : self.pos]))

    def element(self) -> Node:
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isascii() and (self.text[self.pos].isalnum() or self.text[self.pos] in "._")
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        parts = name.split(".")
        if (
            len(parts) < 2
            or not all(p and (p[0].isalpha() or p[0] == "_") for p in parts)
            or name != name.lower()
        ):
            raise self.fail(
                _("数据项名称「%(name)s」应写作 模块.数据项，如 cases.closed") % {"name": name}, start
            )
        if not self.known(name):
            raise self.fail(_("未知的数据项「%(name)s」") % {"name": name}, start)
        return Node("var", name)


def parse(text: str, *, field: str = "formula", known: Callable[[str], bool]) -> Formula:
    """Parse ``text``; ``known(name)`` says whether an element exists. Refusals name ``field``."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise DomainError("too_long", _("公式最长 %(max)s 个字符") % {"max": MAX_LENGTH}, field)
    return Formula(text, _Parser(text, field, known).parse())
