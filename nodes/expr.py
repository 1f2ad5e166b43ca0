"""The `expr` box: a formula over its inputs, read by nodegraph's own parser."""
from __future__ import annotations

from nodegraph import Inlet, Node, Outlet, Param, register
from nodegraph.expr import ExprSyntaxError, compile_expression


@register("expr", category="math")
class Expr(Node):
    """Works out a formula from its inputs, such as ($f1 + $f2) / 2 for the average of two.

    Write inputs as $f1, $f2 ... $f16: the box gets one inlet per input (f1, f2 ...).
    A number on f1 computes and sends the result; the other inlets only store their
    number for next time (set `hot` to all to make every inlet compute). Inputs
    start at 0.

    You can use numbers, + - * / % ** (power), comparisons < <= > >= == != (true
    is 1, false is 0), and or not (also && || !), brackets, the constants pi and e,
    and abs min max sqrt sin cos tan asin acos atan atan2 exp log log10 floor ceil
    round clip(x, low, high) pow(x, y) if(condition, then, else).

    Dividing by zero gives 0. A result with no real value (the square root of a
    negative number, a number too large) marks the box with an error and sends
    nothing. A typo is refused when you type it, and the old formula stays.
    """

    outlets = (Outlet("out", "float", help="the result"),)
    params = (Param("expr", "text", "$f1 * 2", shapes_ports=True, help="the formula; inputs are $f1, $f2 ..."),
              Param("hot", "choice", "first", choices=("first", "all"), shapes_ports=True,
                    help="first: only f1 computes (as in Pd); all: any input computes"))

    def check_param(self, name, value):
        value = super().check_param(name, value)
        if name == "expr":
            try:
                compile_expression(value)
            except ExprSyntaxError as e:
                raise ExprSyntaxError(f"param 'expr': {e}", e.pos) from None
        return value

    def ports(self):
        program = compile_expression(self.params["expr"])
        all_hot = self.params["hot"] == "all"
        inlets = tuple(Inlet(f"f{i + 1}", "float", hot=(i == 0 or all_hot), default=0.0,
                             help=f"the value of $f{i + 1}")
                       for i in range(max(1, program.inputs)))
        return inlets, type(self).outlets

    def setup(self):
        self._program = compile_expression(self.params["expr"])
        self._names = [i.name for i in self.inlets]

    def param_changed(self, name, old):
        self.setup()

    def process(self, fired):
        inputs = self.inputs
        self.emit("out", self._program([inputs[n] for n in self._names]))
