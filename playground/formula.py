"""The safe formula compiler: a surface's formula is data, never code.

A formula is parsed with `ast` and checked against a whitelist (the names x, y, pi, e; numbers;
+ - * / **; unary signs; calls of a few math functions). Constant sub-expressions are folded here
with floats, never with Python integers, so `9**9**9**9` fails fast instead of hanging. What
survives is compiled into two plain functions of (x, y): one over torch tensors (autograd, for
training) and one over numpy arrays (for drawing whole grids without importing torch).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from playground import limits
from playground.errors import FormulaError

CONSTANTS = {"pi": math.pi, "e": math.e}
VARIABLES = ("x", "y")

# name -> (fewest arguments, most arguments, float function used when folding constants)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., float]]] = {
    "sin": (1, 1, math.sin),
    "cos": (1, 1, math.cos),
    "tan": (1, 1, math.tan),
    "asin": (1, 1, math.asin),
    "acos": (1, 1, math.acos),
    "atan": (1, 1, math.atan),
    "atan2": (2, 2, math.atan2),
    "sinh": (1, 1, math.sinh),
    "cosh": (1, 1, math.cosh),
    "tanh": (1, 1, math.tanh),
    "exp": (1, 1, math.exp),
    "log": (1, 1, math.log),
    "log2": (1, 1, math.log2),
    "log10": (1, 1, math.log10),
    "sqrt": (1, 1, math.sqrt),
    "abs": (1, 1, abs),
    "min": (2, 8, min),
    "max": (2, 8, max),
}

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CHAINS = {ast.Add: (ast.Add, ast.Sub), ast.Sub: (ast.Add, ast.Sub), ast.Mult: (ast.Mult, ast.Div), ast.Div: (ast.Mult, ast.Div)}
_ALLOWED = "allowed: numbers, x, y, pi, e, + - * / **, parentheses and " + ", ".join(FUNCTIONS)


@dataclass(frozen=True)
class Formula:
    """A compiled formula: `torch(x, y)` for training, `numpy(x, y)` for grids.

    The torch version is built on first use, so drawing a surface never waits for torch.
    """

    text: str
    code: Any = field(repr=False, compare=False)
    variables: frozenset[str] = frozenset()
    tree: ast.expr | None = field(default=None, repr=False, compare=False)  # the checked formula, constants folded

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickled as its text and compiled (and checked) again: a sweep's worker processes get the
        scenario this way, as code objects do not pickle."""
        return compile_formula, (self.text,)

    @cached_property
    def expression(self) -> str:
        """The checked formula as Python, constants folded: what `torch` computes (the code
        behind a run writes it out). A long flat chain nests deep in the tree: room to unparse it."""
        import sys

        assert self.tree is not None
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20 * limits.FORMULA_LENGTH))
        try:
            return ast.unparse(self.tree)
        finally:
            sys.setrecursionlimit(limit)

    @cached_property
    def torch(self) -> Callable[[Any, Any], Any]:
        return eval(self.code, {"__builtins__": {}, **_torch_namespace()})  # noqa: S307 - whitelisted AST only

    @cached_property
    def numpy(self) -> Callable[[Any, Any], Any]:
        return eval(self.code, {"__builtins__": {}, **_numpy_namespace()})  # noqa: S307 - whitelisted AST only


def compile_formula(text: str) -> Formula:
    """Check `text` against the whitelist and compile it; raise FormulaError naming the column."""
    if not isinstance(text, str):
        raise FormulaError("the formula must be a string")
    if len(text) > limits.FORMULA_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {limits.FORMULA_LENGTH} are allowed")
    if not text.strip():
        raise FormulaError("the formula is empty")
    for i, ch in enumerate(text):
        if ch == "^":
            raise FormulaError("'^' is not a power here: write x**2 instead of x^2", i + 1)
        if ch == "#":
            raise FormulaError("'#' would start a comment: a formula holds none", i + 1)
        if not (32 <= ord(ch) < 127):
            raise FormulaError(f"unexpected character {ch!r}", i + 1)
    lead = len(text) - len(text.lstrip())
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(text, exc, lead) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FormulaError(f"the formula cannot be read ({type(exc).__name__})") from None
    folded = _Folder(lead).visit(tree.body, depth=1)
    used = frozenset(n.id for n in ast.walk(folded) if isinstance(n, ast.Name) and n.id in VARIABLES)
    body = folded if not isinstance(folded, ast.Constant) else _constant_over_grid(folded)
    lam = ast.Expression(
        ast.Lambda(
            args=ast.arguments(
                posonlyargs=[], args=[ast.arg("x"), ast.arg("y")], kwonlyargs=[], kw_defaults=[], defaults=[]
            ),
            body=body,
        )
    )
    ast.fix_missing_locations(lam)
    return Formula(text=text, code=compile(lam, "<formula>", "eval"), variables=used, tree=body)


def _syntax_error(text: str, exc: SyntaxError, lead: int) -> FormulaError:
    msg = (exc.msg or "invalid syntax").lower()
    column = (exc.offset or 1) + lead
    end = len(text.rstrip())
    if text.rstrip()[-1:] in ("+", "-", "*", "/", "(", ","):
        return FormulaError("unexpected end of formula", end)
    if "never closed" in msg or "unexpected eof" in msg or column > end:
        opener = f"('{msg[1]}' at column {column} is never closed)" if "never closed" in msg else ""
        return FormulaError("unexpected end of formula", end, opener)
    if "unmatched" in msg or "does not match" in msg:
        return FormulaError("unmatched bracket", column)
    if "decimal literal" in msg or "invalid syntax" in msg:
        return FormulaError("invalid syntax (a missing operator, such as 2*x for 2x?)", column)
    return FormulaError(msg.rstrip("."), column)


def _constant_over_grid(node: ast.Constant) -> ast.expr:
    """A constant formula still has to return one value per point: c + 0*x."""
    zero_x = ast.BinOp(ast.Constant(0.0), ast.Mult(), ast.Name("x", ast.Load()))
    return ast.BinOp(node, ast.Add(), zero_x)


class _Folder:
    """Checks every node against the whitelist and folds constant sub-expressions with floats."""

    def __init__(self, lead: int) -> None:
        self.lead = lead

    def fail(self, message: str, node: ast.AST) -> FormulaError:
        return FormulaError(message, getattr(node, "col_offset", 0) + 1 + self.lead)

    def visit(self, node: ast.AST, depth: int) -> ast.expr:
        if depth > limits.FORMULA_DEPTH:
            raise self.fail(f"the formula is nested more than {limits.FORMULA_DEPTH} levels deep", node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.visit(node.operand, depth + 1)
            if isinstance(operand, ast.Constant):
                return self.const(-operand.value if isinstance(node.op, ast.USub) else operand.value, node)
            return ast.copy_location(ast.UnaryOp(node.op, operand), node)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{self.describe(node)} is not allowed ({_ALLOWED})", node)

    def binop(self, node: ast.BinOp, depth: int) -> ast.expr:
        """A chain at one precedence level (a + b - c + d, a * b / c) counts as one level of
        nesting however long it is: Python nests it to the left, a person reads it as flat. The
        chain is walked without recursion, so a long sum never meets Python's recursion limit.
        Powers, and brackets on the right (a + (b + (c ...))), still count each level."""
        group = _CHAINS.get(type(node.op), ())
        links = [node]  # the operators of the chain, from the last to the first
        head = node.left
        while isinstance(head, ast.BinOp) and type(head.op) in group:
            links.append(head)
            head = head.left
        left = self.visit(head, depth + 1)
        for link in reversed(links):
            right = self.visit(link.right, depth + 1)
            if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
                left = self.const(self.fold(link.op, left.value, right.value, link), link)
            else:
                left = ast.copy_location(ast.BinOp(left, link.op, right), link)
        return left

    def describe(self, node: ast.AST) -> str:
        if isinstance(node, ast.BinOp):
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|"}
            return f"the operator '{symbol.get(type(node.op), type(node.op).__name__)}'"
        if isinstance(node, ast.UnaryOp):
            return "the operator '~'" if isinstance(node.op, ast.Invert) else "'not'"
        names = {
            ast.Attribute: "attribute access",
            ast.Subscript: "indexing",
            ast.Lambda: "a lambda",
            ast.Compare: "a comparison",
            ast.BoolOp: "'and'/'or'",
            ast.IfExp: "'if ... else'",
            ast.Starred: "'*' unpacking",
            ast.NamedExpr: "':='",
        }
        return names.get(type(node), f"{type(node).__name__.lower()} syntax")

    def constant(self, node: ast.Constant) -> ast.Constant:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "a string" if isinstance(value, str) else repr(value)
            raise self.fail(f"{kind} is not allowed, only numbers", node)
        try:
            number = float(value)
        except OverflowError:
            raise self.fail("this number is too large", node) from None
        return self.const(number, node)

    def const(self, value: float, node: ast.AST) -> ast.Constant:
        if not math.isfinite(value):
            raise self.fail("this part of the formula is not a finite number", node)
        return ast.copy_location(ast.Constant(float(value)), node)

    def name(self, node: ast.Name) -> ast.expr:
        if node.id in VARIABLES:
            return ast.copy_location(ast.Name(node.id, ast.Load()), node)
        if node.id in CONSTANTS:
            return self.const(CONSTANTS[node.id], node)
        if node.id in FUNCTIONS:
            raise self.fail(f"{node.id} is a function: write {node.id}(...)", node)
        from playground.errors import closest

        raise self.fail(f"unknown name {node.id!r} ({closest(node.id, [*VARIABLES, *CONSTANTS, *FUNCTIONS])})", node)

    def fold(self, op: ast.operator, a: float, b: float, node: ast.AST) -> float:
        try:
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            if isinstance(op, ast.Div):
                return a / b
            return math.pow(a, b)
        except ZeroDivisionError:
            raise self.fail("division by zero", node) from None
        except OverflowError:
            raise self.fail("this constant is too large to compute", node) from None
        except ValueError:
            raise self.fail("this constant is not a real number", node) from None

    def call(self, node: ast.Call, depth: int) -> ast.expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(f"only these functions can be called: {', '.join(FUNCTIONS)}", node)
        name = node.func.id
        if name not in FUNCTIONS:
            from playground.errors import closest

            raise self.fail(f"unknown function {name!r} ({closest(name, list(FUNCTIONS))})", node)
        if node.keywords:
            raise self.fail(f"{name}() takes no keyword arguments", node)
        low, high, fn = FUNCTIONS[name]
        if not low <= len(node.args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise self.fail(f"{name}() takes {want} argument{'s' if high > 1 else ''}, got {len(node.args)}", node)
        args = [self.visit(a, depth + 1) for a in node.args]
        if all(isinstance(a, ast.Constant) for a in args):
            try:
                return self.const(fn(*(a.value for a in args)), node)
            except (ValueError, OverflowError, ZeroDivisionError):
                raise self.fail(f"{name}() of this constant is not a finite number", node) from None
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), args, []), node)


def _torch_namespace() -> dict[str, Callable[..., Any]]:
    import torch

    def pairwise(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
        def apply(*args: Any) -> Any:
            like = next(a for a in args if isinstance(a, torch.Tensor))
            tensors = [a if isinstance(a, torch.Tensor) else torch.full_like(like, a) for a in args]
            out = tensors[0]
            for t in tensors[1:]:
                out = op(out, t)
            return out

        return apply

    names = {n: getattr(torch, n) for n in FUNCTIONS if n not in ("min", "max", "atan2")}
    names.update(min=pairwise(torch.minimum), max=pairwise(torch.maximum), atan2=pairwise(torch.atan2))
    return names


def _numpy_namespace() -> dict[str, Callable[..., Any]]:
    import numpy as np

    def pairwise(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
        def apply(*args: Any) -> Any:
            out = args[0]
            for a in args[1:]:
                out = op(out, a)
            return out

        return apply

    names = {
        n: getattr(np, {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}.get(n, n))
        for n in FUNCTIONS
        if n not in ("min", "max", "atan2")
    }
    names.update(min=pairwise(np.minimum), max=pairwise(np.maximum), atan2=pairwise(np.arctan2))
    return names
