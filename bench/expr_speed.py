"""expr speed: compiled closures against a tree walk of the same parse tree, in one run.

For a few expressions, prints µs per evaluation for
  - nodegraph's compiled program (what the `expr` node runs),
  - a straightforward recursive tree walk over the same tree (the baseline),
  - the same formula written as a Python function (the floor; no parsing involved),
and the ratios. Run: python bench/expr_speed.py
"""
import math
import operator
import time

from nodegraph.expr import ARITH, COMPARE, FUNCTIONS, compile_expression

CASES = [
    ("$f1 * 2", lambda v: v[0] * 2),
    ("($f1 + $f2) / 2", lambda v: (v[0] + v[1]) / 2),
    ("clip($f1 * 127, 0, 127)", lambda v: min(max(v[0] * 127, 0), 127)),
    ("sqrt($f1 ** 2 + $f2 ** 2) > 0.5 and $f3 < 1", lambda v: 1.0 if math.sqrt(v[0] ** 2 + v[1] ** 2) > 0.5
     and v[2] < 1 else 0.0),
    ("sin($f1 * 2 * pi) * 0.5 + 0.5", lambda v: math.sin(v[0] * 2 * math.pi) * 0.5 + 0.5),
]


def walk(t, v):
    kind = t[0]
    if kind == "num":
        return t[1]
    if kind == "var":
        return v[t[1]]
    if kind == "neg":
        return -walk(t[1], v)
    if kind == "not":
        return 0.0 if walk(t[1], v) else 1.0
    if kind == "pow":
        return FUNCTIONS["pow"][0](walk(t[1], v), walk(t[2], v))
    if kind == "cmp":
        return 1.0 if COMPARE[t[1]](walk(t[2], v), walk(t[3], v)) else 0.0
    if kind == "chain":
        acc = walk(t[1], v)
        for op, x in t[2]:
            acc = ARITH[op](acc, walk(x, v))
        return acc
    if kind == "and":
        return 1.0 if all(walk(x, v) for x in t[1]) else 0.0
    if kind == "or":
        return 1.0 if any(walk(x, v) for x in t[1]) else 0.0
    if t[1] == "if":
        c, a, b = t[2]
        return walk(a, v) if walk(c, v) else walk(b, v)
    return FUNCTIONS[t[1]][0](*[walk(x, v) for x in t[2]])


def per_call_us(fn, n):
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n * 1e6)
    return best


def main():
    values = [0.3, 0.4, 0.5]
    n = 50_000
    print(f"{'expression':45} {'compiled':>9} {'tree walk':>10} {'python':>8} {'walk/comp':>10} {'comp/py':>8}")
    for text, native in CASES:
        program = compile_expression(text)
        tree = program.tree
        assert operator.eq(program(values), walk(tree, values)) or math.isclose(program(values), walk(tree, values))
        compiled = per_call_us(lambda: program(values), n)
        walked = per_call_us(lambda: walk(tree, values), n)
        floor = per_call_us(lambda: native(values), n)
        print(f"{text:45} {compiled:8.2f}µ {walked:9.2f}µ {floor:7.2f}µ {walked / compiled:9.1f}x "
              f"{compiled / floor:7.1f}x")


if __name__ == "__main__":
    main()
