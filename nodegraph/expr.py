"""Arithmetic expressions for the `expr` node, parsed by this module and never by Python.

A patch is inert data (DESIGN.md): an expression typed into a box must not be able
to run code, so it is read by a small tokenizer and a recursive-descent parser into
a tree of tuples, and the tree is turned into nested closures once per edit.

Language (every value is a float; true is 1, false is 0):

    inputs      $f1 $f2 ... $f16 (Pd and Max style; the node grows one inlet per input)
    numbers     3  0.5  .5  1e-3
    constants   pi  e
    arithmetic  + - * / % **     (x / 0 and x % 0 give 0, as Pd's math does;
                                  % takes the sign of the divisor: -1 % 4 is 3)
    compare     < <= > >= == !=  (one per group: write (a < b) and (b < c))
    logic       and or not, also && || !   (the right side is only computed if needed)
    functions   abs min max sqrt sin cos tan asin acos atan atan2 exp log log10
                floor ceil round clip(x, lo, hi) pow(x, y) if(cond, then, else)

Precedence, lowest first: or; and; not; comparisons; + -; * / %; unary -; **
(so -2**2 is -4 and 2**3**2 is 512, as in Python). round() rounds halves away
from zero. Angles are in radians.

Errors: `parse` raises ExprSyntaxError (a ParamError) naming the character and what
was expected; a compiled expression raises ExprEvalError (a NodeError) for a
computation with no finite answer (sqrt of a negative number, a result too large).
"""
from __future__ import annotations

import math
import operator
from functools import lru_cache

from .errors import NodeError, ParamError

MAX_INPUTS = 16
MAX_LENGTH = 4000
MAX_DEPTH = 50  # nesting levels; keeps the parser and the closures far from Python's recursion limit


class ExprSyntaxError(ParamError):
    """An expression that cannot be read; `pos` is the 0-based character index."""

    def __init__(self, message, pos):
        super().__init__(message)
        self.pos = pos


class ExprEvalError(NodeError):
    """An expression whose value cannot be computed for these inputs."""


# ---- the operations (shared by constant folding and run time) ----------------------


def _div(a, b):
    return a / b if b != 0 else 0.0


def _mod(a, b):
    return a % b if b != 0 else 0.0


def _pow(a, b):
    try:
        return math.pow(a, b)
    except OverflowError:
        raise ExprEvalError(f"{_fmt(a)} ** {_fmt(b)} is too large") from None
    except ValueError:
        if a == 0:
            raise ExprEvalError(f"0 ** {_fmt(b)}: zero to a negative power has no value") from None
        raise ExprEvalError(f"{_fmt(a)} ** {_fmt(b)}: a negative number to a fractional power "
                            f"is not a real number") from None


def _sqrt(x):
    if x < 0:
        raise ExprEvalError(f"sqrt({_fmt(x)}): no square root of a negative number")
    return math.sqrt(x)


def _log(x):
    if x <= 0:
        raise ExprEvalError(f"log({_fmt(x)}): the logarithm needs a number above 0")
    return math.log(x)


def _log10(x):
    if x <= 0:
        raise ExprEvalError(f"log10({_fmt(x)}): the logarithm needs a number above 0")
    return math.log10(x)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        raise ExprEvalError(f"exp({_fmt(x)}) is too large") from None


def _asin(x):
    if not -1 <= x <= 1:
        raise ExprEvalError(f"asin({_fmt(x)}): needs a number from -1 to 1")
    return math.asin(x)


def _acos(x):
    if not -1 <= x <= 1:
        raise ExprEvalError(f"acos({_fmt(x)}): needs a number from -1 to 1")
    return math.acos(x)


def _trig(fn, name):
    def f(x):
        if math.isinf(x):
            raise ExprEvalError(f"{name}() of an infinite number has no value")
        return fn(x)
    return f


def _floor(x):
    return float(math.floor(x))


def _ceil(x):
    return float(math.ceil(x))


def _round(x):
    whole = math.floor(abs(x))
    if abs(x) - whole >= 0.5:  # exact for floats: no 0.49999999999999994 surprise
        whole += 1
    return math.copysign(whole, x)


def _clip(x, lo, hi):
    if lo > hi:
        lo, hi = hi, lo
    return min(max(x, lo), hi)


def _min(*xs):
    return min(xs)


def _max(*xs):
    return max(xs)


# name -> (function, fewest arguments, most arguments); `if` is handled by the compiler
FUNCTIONS = {
    "abs": (abs, 1, 1), "min": (_min, 1, 64), "max": (_max, 1, 64),
    "sqrt": (_sqrt, 1, 1), "sin": (_trig(math.sin, "sin"), 1, 1), "cos": (_trig(math.cos, "cos"), 1, 1),
    "tan": (_trig(math.tan, "tan"), 1, 1), "asin": (_asin, 1, 1), "acos": (_acos, 1, 1),
    "atan": (math.atan, 1, 1), "atan2": (math.atan2, 2, 2), "exp": (_exp, 1, 1), "log": (_log, 1, 1),
    "log10": (_log10, 1, 1), "floor": (_floor, 1, 1), "ceil": (_ceil, 1, 1), "round": (_round, 1, 1),
    "clip": (_clip, 3, 3), "pow": (_pow, 2, 2), "if": (None, 3, 3),
}
CONSTANTS = {"pi": math.pi, "e": math.e}

ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _div, "%": _mod}
COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}
WORD_OPS = {"and": "&&", "or": "||", "not": "!"}


def _fmt(x):
    return f"{x:g}"


# ---- tokens ------------------------------------------------------------------------

_SYMBOLS = ("**", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "!", "(", ")", ",")


_DIGITS = frozenset("0123456789")  # str.isdigit() also accepts '²', which float() refuses


def tokenize(text):
    """[(kind, value, pos)] with kind in num, var, name, op, end."""
    return list(_tokens(text))


def _tokens(text):
    """Tokens one at a time, so the parser reports the leftmost error, lexical or not."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            start = i
            while i < n and text[i] in _DIGITS:
                i += 1
            if i < n and text[i] == ".":
                i += 1
                while i < n and text[i] in _DIGITS:
                    i += 1
            if i < n and text[i] in "eE":
                j = i + 1
                if j < n and text[j] in "+-":
                    j += 1
                if j < n and text[j] in _DIGITS:
                    i = j
                    while i < n and text[i] in _DIGITS:
                        i += 1
            if i < n and (text[i].isalpha() or text[i] == "_" or text[i] == "."):
                raise ExprSyntaxError(f"syntax error at character {i + 1}: a number cannot be followed by "
                                      f"'{text[i]}'", i)
            value = float(text[start:i])
            if not math.isfinite(value):
                raise ExprSyntaxError(f"syntax error at character {start + 1}: the number "
                                      f"{text[start:i][:20]} is too large", start)
            yield ("num", value, start)
        elif c.isalpha() or c == "_":
            start = i
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
            word = text[start:i]
            if word in WORD_OPS:
                yield ("op", WORD_OPS[word], start)
            else:
                yield ("name", word, start)
        elif c == "$":
            start = i
            i += 1
            if i < n and text[i] in "fF":
                i += 1
            digits = i
            while i < n and text[i] in _DIGITS:
                i += 1
            index = int(text[digits:i]) if i > digits and i - digits <= 3 else 0
            if not 1 <= index <= MAX_INPUTS:
                raise ExprSyntaxError(f"syntax error at character {start + 1}: inputs are written $f1 to "
                                      f"$f{MAX_INPUTS}, got '{text[start:i] or '$'}'", start)
            yield ("var", index - 1, start)
        else:
            for sym in _SYMBOLS:
                if text.startswith(sym, i):
                    yield ("op", sym, i)
                    i += len(sym)
                    break
            else:
                hint = {"^": " (use ** for powers)", "=": " (use == to compare)", "&": " (use && or and)",
                        "|": " (use || or or)"}.get(c, "")
                shown = c if c.isprintable() else repr(c)
                raise ExprSyntaxError(f"syntax error at character {i + 1}: unexpected '{shown}'{hint}", i)
    yield ("end", None, n)


# ---- parser ------------------------------------------------------------------------
# Trees are tuples:
#   ("num", value) ("var", index) ("neg", x) ("not", x) ("pow", base, exponent)
#   ("chain", first, ((op, operand), ...))    for + - and * / %, left to right
#   ("cmp", op, left, right) ("and", (x, y, ...)) ("or", (x, y, ...)) ("call", name, (args...))


class _Parser:
    def __init__(self, text):
        self._next = _tokens(text).__next__
        self.tok = self._next()
        self.depth = 0

    def fail(self, expected, tok=None):
        kind, value, pos = tok or self.tok
        if kind == "end":
            found = "the end of the expression"
        elif kind == "num":
            found = f"the number {_fmt(value)}"
        elif kind == "var":
            found = f"$f{value + 1}"
        else:
            found = f"'{value}'"
        raise ExprSyntaxError(f"syntax error at character {pos + 1}: expected {expected}, found {found}", pos)

    def is_op(self, *ops):
        kind, value, _ = self.tok
        return kind == "op" and value in ops

    def take(self):
        tok = self.tok
        self.tok = self._next()  # never past "end": nothing takes the end token
        return tok

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            pos = self.tok[2]
            raise ExprSyntaxError(f"syntax error at character {pos + 1}: the expression is nested more than "
                                  f"{MAX_DEPTH} levels deep", pos)

    def parse(self):
        tree = self.expr()
        if self.tok[0] != "end":
            self.fail("an operator or the end of the expression")
        return tree

    def expr(self):
        return self.logic("||", "or", lambda: self.logic("&&", "and", self.negation))

    def logic(self, op, kind, operand):
        items = [operand()]
        while self.is_op(op):
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else (kind, tuple(items))

    def negation(self):
        if self.is_op("!"):
            self.take()
            self.nest()
            tree = ("not", self.negation())
            self.depth -= 1
            return tree
        return self.comparison()

    def comparison(self):
        left = self.chain(("+", "-"), lambda: self.chain(("*", "/", "%"), self.unary))
        if self.is_op(*COMPARE):
            op = self.take()[1]
            right = self.chain(("+", "-"), lambda: self.chain(("*", "/", "%"), self.unary))
            if self.is_op(*COMPARE):
                raise ExprSyntaxError(f"syntax error at character {self.tok[2] + 1}: comparisons cannot be "
                                      f"chained; write (a < b) and (b < c)", self.tok[2])
            return ("cmp", op, left, right)
        return left

    def chain(self, ops, operand):
        first = operand()
        rest = []
        while self.is_op(*ops):
            op = self.take()[1]
            rest.append((op, operand()))
        return ("chain", first, tuple(rest)) if rest else first

    def unary(self):
        if self.is_op("-", "+"):
            op = self.take()[1]
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return ("neg", operand) if op == "-" else operand
        return self.power()

    def power(self):
        base = self.atom()
        if self.is_op("**"):
            self.take()
            self.nest()
            exponent = self.unary()  # right-associative, and 2**-1 is allowed
            self.depth -= 1
            return ("pow", base, exponent)
        return base

    def atom(self):
        kind, value, pos = self.tok
        if kind == "num":
            self.take()
            return ("num", value)
        if kind == "var":
            self.take()
            return ("var", value)
        if kind == "name":
            if value not in CONSTANTS and value not in FUNCTIONS:  # before reading on: leftmost error first
                hint = " (inputs are written $f1, $f2 ...)" if len(value) == 1 else ""
                raise ExprSyntaxError(f"syntax error at character {pos + 1}: unknown name '{value}'{hint}; "
                                      f"known: {', '.join(sorted(FUNCTIONS))}, pi, e", pos)
            self.take()
            if value in CONSTANTS:
                return ("num", CONSTANTS[value])
            if not self.is_op("("):
                self.fail(f"'(' after the function name {value}")
            self.take()
            self.nest()
            args = []
            if not self.is_op(")"):
                args.append(self.expr())
                while self.is_op(","):
                    self.take()
                    args.append(self.expr())
            if not self.is_op(")"):
                self.fail("',' or ')'")
            self.take()
            self.depth -= 1
            _, lo, hi = FUNCTIONS[value]
            if not lo <= len(args) <= hi:
                wanted = str(lo) if lo == hi else f"{lo} or more"
                raise ExprSyntaxError(f"syntax error at character {pos + 1}: {value}() takes {wanted} "
                                      f"argument{'s' if wanted != '1' else ''}, got {len(args)}", pos)
            return ("call", value, tuple(args))
        if self.is_op("("):
            self.take()
            self.nest()
            tree = self.expr()
            if not self.is_op(")"):
                self.fail("')'")
            self.take()
            self.depth -= 1
            return tree
        self.fail("a number, an input ($f1), a function or '('")


def parse(text: str):
    """The tree of `text`; ExprSyntaxError if it is not a valid expression."""
    if not isinstance(text, str):
        raise ExprSyntaxError("an expression is text", 0)
    if len(text) > MAX_LENGTH:
        raise ExprSyntaxError(f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ExprSyntaxError("the expression is empty; write one such as $f1 * 2", 0)
    return _Parser(text).parse()


def inputs_used(tree) -> int:
    """The highest input number the tree uses ($f3 -> 3), 0 if none."""
    kind = tree[0]
    if kind == "var":
        return tree[1] + 1
    if kind == "num":
        return 0
    if kind in ("neg", "not"):
        return inputs_used(tree[1])
    if kind in ("pow",):
        return max(inputs_used(tree[1]), inputs_used(tree[2]))
    if kind == "cmp":
        return max(inputs_used(tree[2]), inputs_used(tree[3]))
    if kind == "chain":
        return max([inputs_used(tree[1])] + [inputs_used(t) for _, t in tree[2]])
    if kind in ("and", "or"):
        return max(inputs_used(t) for t in tree[1])
    return max((inputs_used(t) for t in tree[2]), default=0)  # call


# ---- compiler: tree -> closure f(values) -------------------------------------------


class _Const:
    """A compiled constant, so parents can fold it."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __call__(self, v):
        return self.value


def _fold(fn, parts):
    """Compute an all-constant subtree now; leave it to run time if it fails there."""
    if all(isinstance(p, _Const) for p in parts):
        try:
            value = fn(())
        except (ArithmeticError, ValueError, ExprEvalError):
            return fn  # the error is reported when the expression runs, with its inputs
        return _Const(value)
    return fn


def _compile(tree):
    kind = tree[0]
    if kind == "num":
        return _Const(tree[1])
    if kind == "var":
        i = tree[1]
        return lambda v: v[i]
    if kind == "neg":
        x = _compile(tree[1])
        return _fold(lambda v: -x(v), [x])
    if kind == "not":
        x = _compile(tree[1])
        return _fold(lambda v: 0.0 if x(v) else 1.0, [x])
    if kind == "pow":
        a, b = _compile(tree[1]), _compile(tree[2])
        return _fold(lambda v: _pow(a(v), b(v)), [a, b])
    if kind == "cmp":
        op, a, b = COMPARE[tree[1]], _compile(tree[2]), _compile(tree[3])
        if isinstance(b, _Const):
            c = b.value
            return _fold(lambda v: 1.0 if op(a(v), c) else 0.0, [a, b])
        return _fold(lambda v: 1.0 if op(a(v), b(v)) else 0.0, [a, b])
    if kind == "chain":
        return _compile_chain(tree)
    if kind in ("and", "or"):
        parts = [_compile(t) for t in tree[1]]
        if len(parts) == 2:
            a, b = parts
            if kind == "and":
                return _fold(lambda v: 1.0 if a(v) and b(v) else 0.0, parts)
            return _fold(lambda v: 1.0 if a(v) or b(v) else 0.0, parts)
        if kind == "and":
            def f(v):
                for p in parts:
                    if not p(v):
                        return 0.0
                return 1.0
        else:
            def f(v):
                for p in parts:
                    if p(v):
                        return 1.0
                return 0.0
        return _fold(f, parts)
    if kind == "call":
        name, args = tree[1], [_compile(t) for t in tree[2]]
        if name == "if":
            c, yes, no = args
            return _fold(lambda v: yes(v) if c(v) else no(v), args)
        fn = FUNCTIONS[name][0]
        if len(args) == 1:
            a = args[0]
            return _fold(lambda v: fn(a(v)), args)
        if len(args) == 2:
            a, b = args
            return _fold(lambda v: fn(a(v), b(v)), args)
        return _fold(lambda v: fn(*[p(v) for p in args]), args)
    raise AssertionError(f"unknown tree node {kind}")


def _compile_chain(tree):
    first = _compile(tree[1])
    rest = [(ARITH[op], _compile(t)) for op, t in tree[2]]
    parts = [first] + [p for _, p in rest]
    if len(rest) == 1:
        (op, b), a = rest[0], first
        if isinstance(b, _Const):  # the common `$f1 * 2`
            c = b.value
            return _fold(lambda v: op(a(v), c), parts)
        return _fold(lambda v: op(a(v), b(v)), parts)

    def f(v):
        acc = first(v)
        for op, p in rest:
            acc = op(acc, p(v))
        return acc
    return _fold(f, parts)


class Program:
    """A parsed and compiled expression: call it with the input values."""

    __slots__ = ("text", "tree", "inputs", "_fn")

    def __init__(self, text):
        self.text = text
        self.tree = parse(text)
        self.inputs = inputs_used(self.tree)
        self._fn = _compile(self.tree)

    def __call__(self, values) -> float:
        """values[i] is $f(i+1); returns a finite float or raises ExprEvalError."""
        if len(values) < self.inputs:
            raise ExprEvalError(f"{self.text} uses $f{self.inputs} but has only {len(values)} inputs")
        try:
            result = self._fn(values)
        except ExprEvalError:
            raise
        except (ArithmeticError, ValueError):  # an infinite intermediate reaching floor(), ...
            raise self._no_value(values) from None
        if not math.isfinite(result):
            raise self._no_value(values)
        return float(result)

    def _no_value(self, values):
        shown = ", ".join(f"$f{i + 1} = {_fmt(x)}" for i, x in enumerate(values[:self.inputs]))
        return ExprEvalError(f"{self.text} has no finite value" + (f" for {shown}" if shown else ""))

    def __repr__(self):
        return f"Program({self.text!r})"


@lru_cache(maxsize=256)
def compile_expression(text: str) -> Program:
    """Parse and compile `text` (cached: programs are pure and can be shared)."""
    return Program(text)
