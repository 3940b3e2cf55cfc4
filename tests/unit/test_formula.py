"""The formula compiler: accepted formulas compute what they say, everything else is refused fast."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.errors import FormulaError
from playground.formula import compile_formula

# A grid that avoids 0 (x/y, x**-2, abs at its kink) and stays inside asin/acos's domain after /3.
XS = np.linspace(-1.9, 1.7, 7)
YS = np.linspace(-1.8, 1.6, 8)
GX, GY = np.meshgrid(XS, YS)


class _NP:
    sin, cos, tan, exp, log, sqrt, abs = np.sin, np.cos, np.tan, np.exp, np.log, np.sqrt, np.abs
    tanh, sinh, cosh, atan, asin, acos = np.tanh, np.sinh, np.cosh, np.arctan, np.arcsin, np.arccos
    log2, log10, atan2, minimum, maximum = np.log2, np.log10, np.arctan2, np.minimum, np.maximum


class _T:
    sin, cos, tan, exp, log, sqrt, abs = torch.sin, torch.cos, torch.tan, torch.exp, torch.log, torch.sqrt, torch.abs
    tanh, sinh, cosh, atan, asin, acos = torch.tanh, torch.sinh, torch.cosh, torch.atan, torch.asin, torch.acos
    log2, log10, atan2 = torch.log2, torch.log10, torch.atan2

    @staticmethod
    def minimum(a, b):
        return torch.minimum(a, b if isinstance(b, torch.Tensor) else torch.full_like(a, b))

    @staticmethod
    def maximum(a, b):
        return torch.maximum(a, b if isinstance(b, torch.Tensor) else torch.full_like(a, b))


PI, E = np.pi, np.e

# (formula, the same thing written by hand; m is numpy or torch)
ACCEPTED = [
    ("(1 - x)**2 + 100*(y - x**2)**2", lambda m, x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("x**2 - y**2", lambda m, x, y: x**2 - y**2),
    ("0.5*(x**2 + 100*y**2)", lambda m, x, y: 0.5 * (x**2 + 100 * y**2)),
    ("sin(x)*cos(y) + tan(x/4)", lambda m, x, y: m.sin(x) * m.cos(y) + m.tan(x / 4)),
    (
        "exp(-(x**2 + y**2)) - log(1 + x**2) + sqrt(1 + y**2)",
        lambda m, x, y: m.exp(-(x**2 + y**2)) - m.log(1 + x**2) + m.sqrt(1 + y**2),
    ),
    ("abs(x) + abs(y - 0.3)", lambda m, x, y: m.abs(x) + m.abs(y - 0.3)),
    ("tanh(x) + sinh(y/2) - cosh(x/3) + atan(y)", lambda m, x, y: m.tanh(x) + m.sinh(y / 2) - m.cosh(x / 3) + m.atan(y)),
    ("asin(x/3) + acos(y/3)", lambda m, x, y: m.asin(x / 3) + m.acos(y / 3)),
    ("log2(1 + x**2) + log10(1 + y**2)", lambda m, x, y: m.log2(1 + x**2) + m.log10(1 + y**2)),
    ("atan2(y, x)", lambda m, x, y: m.atan2(y, x)),
    ("min(x, y) + max(x, y, 0.5)", lambda m, x, y: m.minimum(x, y) + m.maximum(m.maximum(x, y), 0.5)),
    ("min(x**2, 1) * max(0.2, y)", lambda m, x, y: m.minimum(x**2, 1.0) * m.maximum(y, 0.2)),
    ("-x + +y - -x", lambda m, x, y: -x + +y - -x),
    ("-x**2", lambda m, x, y: -(x**2)),
    ("2**3**2 * x", lambda m, x, y: 512.0 * x),
    ("x - y - 1", lambda m, x, y: (x - y) - 1),
    ("x / y / 2", lambda m, x, y: (x / y) / 2),
    ("x**-2 + y**3/3", lambda m, x, y: x**-2 + y**3 / 3),
    ("pi*x + e*y", lambda m, x, y: PI * x + E * y),
    ("1e-3*x + 2.5E2*y + 7", lambda m, x, y: 1e-3 * x + 2.5e2 * y + 7),
    ("  x*y  ", lambda m, x, y: x * y),
    ("sin(pi/6) * x", lambda m, x, y: 0.5 * x),
    ("y**2", lambda m, x, y: y**2),
    ("(x + y) * (x - y) * ((x))", lambda m, x, y: (x + y) * (x - y) * x),
    (
        "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        lambda m, x, y: 20 + x**2 - 10 * m.cos(2 * PI * x) + y**2 - 10 * m.cos(2 * PI * y),
    ),
]


@pytest.mark.parametrize(("text", "reference"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_formula_matches_numpy_on_a_grid(text, reference):
    f = compile_formula(text)
    got = f.numpy(GX, GY)
    assert np.shape(got) == GX.shape
    np.testing.assert_allclose(got, reference(_NP, GX, GY), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("text", "reference"), ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_formula_matches_torch_with_gradients(text, reference):
    f = compile_formula(text)
    x1 = torch.tensor(GX, dtype=torch.float64, requires_grad=True)
    y1 = torch.tensor(GY, dtype=torch.float64, requires_grad=True)
    out = f.torch(x1, y1)
    assert out.dtype == torch.float64
    out.sum().backward()
    x2 = torch.tensor(GX, dtype=torch.float64, requires_grad=True)
    y2 = torch.tensor(GY, dtype=torch.float64, requires_grad=True)
    ref = reference(_T, x2, y2)
    ref.sum().backward()
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(y1.grad, y2.grad, rtol=1e-10, atol=1e-10)


def test_gradient_of_a_known_function_at_a_point():
    """d/dx and d/dy of Rosenbrock at (-1.5, 2), worked out by hand."""
    f = compile_formula("(1 - x)**2 + 100*(y - x**2)**2")
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    loss = f.torch(p[0], p[1])
    loss.backward()
    x, y = -1.5, 2.0
    assert loss.item() == pytest.approx((1 - x) ** 2 + 100 * (y - x**2) ** 2)
    assert p.grad.tolist() == pytest.approx([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def test_constant_formula_gives_one_value_per_point_and_zero_gradient():
    f = compile_formula("3*pi")
    grid = f.numpy(GX, GY)
    assert np.shape(grid) == GX.shape
    np.testing.assert_allclose(grid, np.full(GX.shape, 3 * np.pi))
    p = torch.tensor([0.4, -0.2], dtype=torch.float64, requires_grad=True)
    f.torch(p[0], p[1]).backward()
    assert p.grad.tolist() == [0.0, 0.0]


def test_variables_used_are_reported():
    assert compile_formula("x**2 + sin(y)").variables == {"x", "y"}
    assert compile_formula("y**2").variables == {"y"}
    assert compile_formula("2 + pi").variables == frozenset()


def test_scalar_numpy_evaluation():
    f = compile_formula("x**2 - y**2")
    assert float(f.numpy(np.float64(3.0), np.float64(2.0))) == 5.0


# ---------------------------------------------------------------- rejected input

# (formula, the text at which the error must point)
REJECTED = [
    ("x.real", "x.real"),
    ("x + y.__class__", "y.__class__"),
    ("__import__('os')", "__import__"),
    ("x + __builtins__", "__builtins__"),
    ("(1).__class__.__bases__", "(1)"),
    ("x + foo(y)", "foo(y)"),
    ("x + eval('1')", "eval("),
    ("open('f')", "open"),
    ("lambda: 1", "lambda"),
    ("(lambda x: x)(1)", "(lambda"),
    ("x + y[0]", "y[0]"),
    ("x + 'a'", "'a'"),
    ('x * "1"', '"1"'),
    ("x + (y < 1)", "y < 1"),
    ("x == y", "x == y"),
    ("x + y // 2", "y // 2"),
    ("x % 2", "x % 2"),
    ("x @ y", "x @ y"),
    ("x & y", "x & y"),
    ("~x", "~x"),
    ("not x", "not x"),
    ("x and y", "x and y"),
    ("x if y else 1", "x if y"),
    ("sin(x=1)", "sin("),
    ("x + sin(x, y=1)", "sin("),
    ("x + sin(x, y)", "sin(x, y)"),
    ("atan2(x)", "atan2"),
    ("min(x)", "min"),
    ("max(x, x, x, x, x, x, x, x, x)", "max"),
    ("x + sin", "sin"),
    ("z + 1", "z"),
    ("True * x", "True"),
    ("x * None", "None"),
    ("1j * x", "1j"),
    ("[x, y]", "[x"),
    ("x + (x, y)", "(x, y)"),
    ("(x := 1)", "x := 1"),
    ("f'{x}'", "f'"),
    ("x + 1/0", "1/0"),
    ("x + log(0)", "log(0)"),
    ("x + sqrt(-1)", "sqrt(-1)"),
    ("x + (-8)**(1/3)", "(-8)"),
    ("x + 1e400", "1e400"),
]


@pytest.mark.parametrize(("text", "at"), REJECTED, ids=[t for t, _ in REJECTED])
def test_rejected_input_names_the_column(text, at):
    with pytest.raises(FormulaError) as info:
        compile_formula(text)
    column = text.index(at) + 1
    # a parenthesised operand starts either at its '(' or just inside it, depending on the node
    allowed = (column, column + 1) if at.startswith("(") else (column,)
    assert info.value.column in allowed, str(info.value)
    assert f"column {info.value.column}" in str(info.value)


def test_caret_is_refused_with_a_hint():
    with pytest.raises(FormulaError) as info:
        compile_formula("x^2 + y")
    assert info.value.column == 2
    assert "**" in str(info.value)


@pytest.mark.parametrize("text", ["2x", "x y", "x +* y", ")", "x**2 + (y))", "x\ty", "x\n", "é*x", "x;y"])
def test_syntax_errors_are_formula_errors_with_a_column(text):
    with pytest.raises(FormulaError) as info:
        compile_formula(text)
    assert "column" in str(info.value)


def test_unclosed_bracket_points_at_the_end():
    with pytest.raises(FormulaError) as info:
        compile_formula("x**2 + (y")
    assert "unexpected end of formula at column 9" in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", None, 3.0])
def test_empty_or_not_a_string(text):
    with pytest.raises(FormulaError):
        compile_formula(text)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(FormulaError, match="sqrt"):
        compile_formula("sqr(x)")
    with pytest.raises(FormulaError, match="'x'|choose from"):
        compile_formula("xx + 1")


def test_errors_are_not_other_exceptions_and_column_is_one_based_with_leading_space():
    with pytest.raises(FormulaError) as info:
        compile_formula("   x + foo(y)")
    assert info.value.column == 8


# ---------------------------------------------------------------- bounded work

HOSTILE = [
    "9**9**9**9",
    "10**400*x",
    "x*10**400",
    "2**2**2**2**2**2**2**2",
    "9" * 500 + "**9" * 100,
    "(" * 150 + "x" + ")" * 150 + "**" + "9" * 400,
    "(" * 300 + "x" + ")" * 300,
    "(" * 499 + "x" + ")" * 499,
    "-" * 999 + "x",
    "sin(" * 120 + "x" + ")" * 120,
    "x" + "**x" * 300,
    "x" + "+(x" * 100 + ")" * 100,
    "x" + "*(y" * 100 + ")" * 100,
    "10**10**10",
    "x + 10**10**10",
    "x**10**10**10",
    "exp(exp(exp(10)))",
    "(x).__class__.__mro__[1].__subclasses__()",
    "().__class__",
    "x.__globals__",
    "__builtins__.eval('1')",
    "(lambda: x)()",
    "(lambda f: f(f))(lambda f: f(f))",
    "sin.__call__(x)",
    "getattr(x, 'y')",
    "exec('1')",
    "x if x else y",
    "[c for c in ()]",
    "(yield x)",
    "await x",
    "x(y)",
    "sin(x)(y)",
    "min(*[x, y])",
    "max(**{})",
    "'a' * 10**9",
    "b'x'",
    "...",
    "x + \\\n y",
    "[" * 400 + "]" * 400,
    "x" * 2000,
    "x+" * 999 + "x",
    "1" * 2000,
    "(x+" * 600 + "x" + ")" * 600,
]


@pytest.mark.parametrize("text", HOSTILE, ids=[f"{t[:20]}..{len(t)}" for t in HOSTILE])
def test_hostile_input_fails_fast(text):
    t0 = time.perf_counter()
    with pytest.raises(FormulaError):
        compile_formula(text)
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize(("op", "value"), [("+", 500 * 1.5), ("-", 1.5 - 499 * 1.5), ("*", 1.5**500), ("/", 1.5 ** (1 - 499))])
def test_a_long_flat_chain_of_one_operator_is_not_deep_nesting(op, value):
    """x+x+...+x is what a person calls flat, even though Python nests it 499 levels to the left."""
    text = op.join(["x"] * 500)
    assert len(text) <= 1000
    f = compile_formula(text)
    assert float(f.numpy(np.float64(1.5), np.float64(0.0))) == pytest.approx(value, rel=1e-9)
    p = torch.tensor([1.5, 0.0], dtype=torch.float64, requires_grad=True)
    f.torch(p[0], p[1]).backward()
    assert torch.isfinite(p.grad).all()


def test_a_long_mixed_sum_of_terms_keeps_its_meaning():
    text = " + ".join(f"{i}*x*y/{i + 1} - x" for i in range(1, 40))
    f = compile_formula(text)
    expected = sum(i * 2.0 * 3.0 / (i + 1) - 2.0 for i in range(1, 40))
    assert float(f.numpy(np.float64(2.0), np.float64(3.0))) == pytest.approx(expected, rel=1e-12)


def test_folding_a_long_constant_chain_is_left_to_right():
    assert float(compile_formula("10 - 4 - 3 - 2 + 0*x").numpy(np.float64(0), np.float64(0))) == 1.0
    assert float(compile_formula("64 / 4 / 2 / 2 + 0*x").numpy(np.float64(0), np.float64(0))) == 4.0


@pytest.mark.parametrize("text", ["x" + "+(x" * 61 + ")" * 61, "x" + "**x" * 61, "-" * 61 + "x", "sin(" * 61 + "x" + ")" * 61])
def test_deep_nesting_is_still_refused_when_the_chain_is_not_flat(text):
    with pytest.raises(FormulaError, match="nested"):
        compile_formula(text)


@pytest.mark.parametrize(("text", "column"), [("x + (y", 6), ("x +", 3), ("sin(x", 5), ("x*(y+", 5), ("max(x,", 6), ("  x**2 + (y  ", 11)])
def test_unexpected_end_gives_the_end_column_as_a_number(text, column):
    with pytest.raises(FormulaError) as info:
        compile_formula(text)
    assert info.value.column == column
    assert f"unexpected end of formula at column {column}" in str(info.value)


def test_an_unclosed_bracket_names_where_it_was_opened():
    with pytest.raises(FormulaError) as info:
        compile_formula("x**2 + (y")
    assert str(info.value) == "unexpected end of formula at column 9 ('(' at column 8 is never closed)"


def test_moderate_nesting_is_still_accepted():
    f = compile_formula("(" * 40 + "x" + ")" * 40 + " + sin(cos(sin(cos(y))))")
    assert float(f.numpy(np.float64(1.0), np.float64(0.0))) == pytest.approx(1.0 + np.sin(np.cos(np.sin(1.0))))


# ---------------------------------------------------------------- property: never anything but FormulaError

FORMULA_ALPHABET = "xye0123456789.+-*/()^, _abcdfgilmnoqrstw[]'<=%@!~:\t"
TOKENS = st.sampled_from(
    [
        "x",
        "y",
        "pi",
        "e",
        "1",
        "2.5",
        "1e308",
        "9",
        "0",
        "+",
        "-",
        "*",
        "/",
        "**",
        "(",
        ")",
        ",",
        "sin(",
        "min(",
        "log(",
        "atan2(",
        "sqrt(",
        "exp(",
        " ",
        "x.",
        "__",
        "[",
        "]",
        "'",
        "lambda",
        ":",
        "^",
        "//",
        "=",
        "foo(",
    ]
)


def _check_any(text: str) -> None:
    t0 = time.perf_counter()
    try:
        f = compile_formula(text)
    except FormulaError as exc:
        assert str(exc)
    else:
        with np.errstate(all="ignore"):
            f.numpy(GX, GY)
        x = torch.tensor(GX, dtype=torch.float64, requires_grad=True)
        out = f.torch(x, torch.tensor(GY, dtype=torch.float64))
        assert out.shape == x.shape
    assert time.perf_counter() - t0 < 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_formula_or_formula_error(text):
    _check_any(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=FORMULA_ALPHABET, max_size=80))
def test_formula_like_text_gives_formula_or_formula_error(text):
    _check_any(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=40).map("".join))
def test_token_soup_gives_formula_or_formula_error(text):
    _check_any(text)
