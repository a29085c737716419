"""Write the rule table of docs/rules.md from ``rules.table``.

    python -m adcompiler.rules.doc           # rewrite the table in docs/rules.md
    python -m adcompiler.rules.doc --check   # exit 1 if it is out of date

Only the part between the two markers is generated; the prose around it is
written by hand in docs/rules.md.
"""
import os
import sys

import gast

from . import METHODS, PRIMS
from .registry import OPERATORS

BEGIN = "<!-- BEGIN GENERATED RULE TABLE: python -m adcompiler.rules.doc -->"
END = "<!-- END GENERATED RULE TABLE -->"
PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "rules.md")

_SYMBOLS = {gast.Add: "a + b", gast.Sub: "a - b", gast.Mult: "a * b", gast.Div: "a / b",
            gast.Pow: "a ** b", gast.Mod: "a % b", gast.MatMult: "a @ b",
            gast.FloorDiv: "a // b", gast.USub: "-x", gast.UAdd: "+x", gast.Not: "not x",
            gast.Lt: "a < b", gast.LtE: "a <= b", gast.Gt: "a > b", gast.GtE: "a >= b",
            gast.Eq: "a == b", gast.NotEq: "a != b", gast.Is: "a is b",
            gast.IsNot: "a is not b", gast.In: "a in b", gast.NotIn: "a not in b"}

_GROUPS = [("NumPy functions", lambda k: k.startswith("np.")),
           ("Python operators, builtins and `math`", lambda k: not k.startswith(("np.", "runtime.",
                                                                              "tape.", "attr."))
            and k not in ("tuple", "list", "call", "getattr", "getitem", "assert", "T")),
           ("Indexing and attributes", lambda k: k in ("getitem", "T") or k.startswith("attr.")),
           ("Helpers in `runtime` (generated code calls them)", lambda k: k.startswith("runtime.")),
           ("Internal", lambda k: True)]


def kind(prim):
    if prim.nondiff:
        return "zero-derivative"
    if prim.kind:
        return prim.kind
    if prim.elementwise:
        return "elementwise"
    if prim.linear:
        return "linear"
    if prim.vjp or prim.jvp:
        return "other"
    return "no rule"


def name(prim):
    """How a user writes it: the call, the operator, and the methods that reach it."""
    symbol = next((_SYMBOLS[op] for op, p in OPERATORS.items() if p is prim and op in _SYMBOLS),
                  None)
    if symbol:
        call = f"`{symbol}`"
    elif prim.emit[0] == "call":
        call = f"`{prim.key if prim.key.startswith('np.') else prim.emit[1]}`"
    elif prim.emit[0] == "attr":
        call = f"`x.{prim.emit[1]}`"
    elif prim.emit[0] == "method":
        call = f"`x.{prim.emit[1]}()`"
    elif prim.key == "getitem":
        call = "`x[index]`"
    else:
        call = f"`{prim.key}`"
    methods = [m for m, p in METHODS.items() if p is prim and
               (prim.emit[0] != "method" or m != prim.emit[1])]
    if methods:
        call += " " + " ".join(f"`.{m}()`" for m in methods)
    return call


class _Placeholders(dict):
    """Arguments for a template that depends on them: every one None, or none None."""

    def __init__(self, none):
        super().__init__()
        self.none = none

    def __missing__(self, key):
        from ..ir.nodes import Const, Var
        return Const(None) if self.none else Var(key)


def _text(template):
    if hasattr(template, "variants"):  # (template, when): chosen by known shapes
        return " or ".join(f"`{t}`" + (f" ({when})" if when else "")
                           for t, when in template.variants)
    if callable(template):
        cases = {template(_Placeholders(True)), template(_Placeholders(False))}
        return " or ".join(f"`{t}`" for t in sorted(cases))
    return f"`{template}`"


def rule(prim):
    parts = []
    if prim.partials:
        parts += [f"∂/∂{p}: {_text(t)}" for p, t in prim.partials.items()]
    if prim.vjp:
        parts += [f"vjp {p}: {_text(t)}" for p, t in prim.vjp.items()]
    if prim.element:
        parts.append(f"vjp of element `i` of {prim.sequence}: {_text(prim.element)}")
    if prim.linear and not prim.elementwise:
        parts.append("linear in " + ", ".join(prim.linear))
    if prim.jvp:
        parts.append(f"jvp: {_text(prim.jvp)}")
    if prim.zero and not prim.nondiff:
        parts.append("zero derivative in " + ", ".join(prim.zero))
    if prim.specializer is not None:
        parts.append("rules made for each call's subscripts (see *Some rules are picked per call*)")
    if prim.variant is not None:
        parts.append("other rules for some constant arguments (see *Some rules are picked per "
                     "call*)")
    return "<br>".join(p.replace("|", "\\|") for p in parts) or "—"


def table():
    lines = []
    numpy_functions = [p for k, p in PRIMS.items() if k.startswith("np.")]
    with_rules = [p for p in numpy_functions if kind(p) not in ("zero-derivative", "no rule")]
    methods = sorted(m for m, p in METHODS.items() if kind(p) not in ("zero-derivative",
                                                                       "no rule"))
    lines.append(f"{len(with_rules)} NumPy functions have derivative rules, "
                 f"{len(numpy_functions) - len(with_rules)} more have a zero derivative; "
                 f"{len(methods)} array methods have rules: "
                 + ", ".join(f"`.{m}()`" for m in methods) + ".")
    done = set()
    for title, belongs in _GROUPS:
        # declared in the table: not the rules users declare (adcompiler.custom)
        keys = sorted(k for k in PRIMS if k not in done and not k.startswith("user.")
                      and belongs(k))
        if not keys:
            continue
        done.update(keys)
        lines += ["", f"### {title}", "", "| primitive | kind | rule |", "|---|---|---|"]
        for k in keys:
            p = PRIMS[k]
            lines.append(f"| {name(p)} | {kind(p)} | {rule(p)} |")
    return "\n".join(lines)


def render(text):
    """``text`` (docs/rules.md) with the table between the markers regenerated."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + "\n" + text[end:]


def current():
    with open(PATH, encoding="utf-8") as f:
        return f.read()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = current()
    new = render(text)
    if "--check" in argv:
        if new != text:
            print("docs/rules.md is out of date: run python -m adcompiler.rules.doc")
            return 1
        return 0
    with open(PATH, "w", encoding="utf-8") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
