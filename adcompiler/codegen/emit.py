"""From IR to Python text, through Python's ``ast``, with one emit function (``to_source``).

Codegen leaves SSA: a phi becomes an assignment at the end of each arm (left
out where the names already agree), and a compiler temporary used once, in the
same block, is folded back into the expression that uses it, so that
``t = 2 * x; bx = by * t`` reads ``bx = by * (2 * x)``.

The tree is made of ``ast`` nodes, not gast ones as in the rest of the compiler:
converting a gast tree to ``ast`` took longer than printing it.
"""
import ast
import bisect
import re

import numpy as np

from .. import rules
from ..ir.nodes import (Const, For, Global, If, Index, Op, Return, Slice, Var, While,
                        all_operands, read_counts, walk)

COMMENT = "#adcompiler-comment#"
# the end of a line that astor broke inside an attribute (inside brackets, so the
# break may move to before it)
_WRAPPED_AT_DOT = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*\.)$")
_COMMENT_LINE = re.compile(r"^(\s*)('''|\"\"\"|'|\")" + re.escape(COMMENT) + r"(.*?)\2\s*$")
_LOAD, _STORE = ast.Load(), ast.Store()
_FUNCTION_FIELDS = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}
_OPERATORS = {}  # gast operator class (what rules declare) -> ast operator class


def to_source(tree):
    """Python text for an ``ast`` tree: astor where it can, ``ast.unparse`` otherwise."""
    try:
        import astor
        text = astor.to_source(tree)
    except Exception:  # astor lags behind new syntax; ast.unparse does not
        text = ast.unparse(tree) + "\n"
    lines = []
    for line in text.splitlines():
        m = _COMMENT_LINE.match(line) if COMMENT in line else None
        if m:
            lines.append(f"{m.group(1)}# {m.group(3)}")
        elif lines and _WRAPPED_AT_DOT.search(lines[-1]) and \
                not lines[-1].lstrip().startswith("#"):
            # astor wrapped the line after a dot: `runtime.` moves down to its `cos(x)`
            head = _WRAPPED_AT_DOT.search(lines[-1])
            rest = lines[-1][:head.start()].rstrip()
            if rest.strip():
                lines[-1] = rest
            else:
                lines.pop()
            indent = len(line) - len(line.lstrip())
            lines.append(line[:indent] + head.group(1) + line[indent:])
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def emit_function(fn, inline=True):
    """The text of a ``def`` for an IR function."""
    return emit(fn, inline)[0]


def emit(fn, inline=True):
    """The text of a ``def`` for an IR function, and the names that text reads
    (loads of a bare name: locals, globals and builtins), which ``api`` would
    otherwise find by parsing the text again and walking every node."""
    uses = read_counts(fn.body)
    emitter = _Emitter(uses, inline)
    args = ast.arguments(args=[ast.arg(p.name, None, None) for p in fn.params],
                         posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                         kwarg=None, defaults=[emitter.operand(d) for d in fn.defaults])
    body = emitter.block(fn.body)
    node = ast.FunctionDef(name=fn.name, args=args, body=body or [ast.Pass()],
                           decorator_list=[], returns=None, type_comment=None,
                           **_FUNCTION_FIELDS)
    return to_source(ast.Module(body=[node], type_ignores=[])), emitter.loads


class _Emitter:
    def __init__(self, uses, inline):
        self.uses, self.inline = uses, inline
        self.pending = {}  # id(var) -> (expression, names it reads) awaiting its one use
        # every name the code reads (each ast.Name load is made by load()); a name
        # read only by an If with nothing left in its arms, which prints nothing, stays
        self.loads = set()

    def load(self, name):
        self.loads.add(name)
        return ast.Name(name, _LOAD)

    def dotted(self, path):
        parts = path.split(".")
        node = self.load(parts[0])
        for p in parts[1:]:
            node = ast.Attribute(node, p, _LOAD)
        return node

    def constant(self, value):
        """A Python constant as an expression: -1 as ``-1``, inf as ``float('inf')``."""
        if isinstance(value, tuple):
            return ast.Tuple([self.constant(v) for v in value], _LOAD)
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return ast.Call(self.load("float"), [ast.Constant(repr(value), None)], [])
        if isinstance(value, (type, np.dtype)):
            return self.dotted(getattr(value, "__name__", str(value)))
        if value is Ellipsis:
            return ast.Constant(Ellipsis, None)
        if isinstance(value, np.ndarray):
            raise TypeError("an array constant cannot be printed")
        if isinstance(value, float) and value < 0 or isinstance(value, int) and value < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-value, None))
        return ast.Constant(value, None)

    # -- operands -----------------------------------------------------------------
    def operand(self, o):
        if isinstance(o, Var):
            if id(o) in self.pending:
                return self.pending.pop(id(o))[0]
            return self.load(o.name)
        if isinstance(o, Const):
            return self.constant(o.value)
        if isinstance(o, Global):
            return self.dotted(o.name)
        if isinstance(o, Index):
            return ast.Subscript(self.dotted("np.s_"), self.index(o), _LOAD)
        raise TypeError(f"cannot emit operand {o!r}")

    def index(self, index):
        items = [self.slice(i) if isinstance(i, Slice) else self.operand(i) for i in index.items]
        if index.is_tuple or len(items) != 1:
            return ast.Tuple(items, _LOAD)
        return items[0]

    def slice(self, s):
        return ast.Slice(*(None if p is None else self.operand(p)
                           for p in (s.lower, s.upper, s.step)))

    # -- operations ---------------------------------------------------------------
    def expression(self, op):
        prim = rules.PRIMS[op.prim]
        kind = prim.emit[0]
        # operands are emitted right to left, so that folding in pending
        # temporaries matches the order they were computed in
        if kind == "binop":
            b, a = self.operand(op.args[1]), self.operand(op.args[0])
            return ast.BinOp(a, _operator(prim.emit[1]), b)
        if kind == "unop":
            return ast.UnaryOp(_operator(prim.emit[1]), self.operand(op.args[0]))
        if kind == "compare":
            b, a = self.operand(op.args[1]), self.operand(op.args[0])
            return ast.Compare(a, [_operator(prim.emit[1])], [b])
        if kind == "boolop":
            values = [self.operand(a) for a in reversed(op.args)][::-1]
            return ast.BoolOp(_operator(prim.emit[1]), values)
        if kind == "attr":
            return ast.Attribute(self.operand(op.args[0]), prim.emit[1], _LOAD)
        if kind == "getattr":
            return ast.Attribute(self.operand(op.args[0]), op.args[1].value, _LOAD)
        if kind == "getitem":
            index = self.index(op.args[1])
            return ast.Subscript(self.operand(op.args[0]), index, _LOAD)
        if kind in ("tuple", "list"):
            items = [self.operand(a) for a in reversed(op.args)][::-1]
            return (ast.Tuple if kind == "tuple" else ast.List)(items, _LOAD)
        if kind == "generic":
            args, kwargs = self.call_args(op.args[1:], op.kwargs)
            return ast.Call(self.operand(op.args[0]), args, kwargs)
        if kind == "method":
            args, kwargs = self.call_args(op.args[1:], ())
            return ast.Call(ast.Attribute(self.operand(op.args[0]), prim.emit[1], _LOAD),
                            args, kwargs)
        if kind == "call":
            if prim.variadic:
                args, kwargs = self.call_args(op.args, op.kwargs)
            else:
                args, kwargs = self.bound_args(prim, op.args)
            return ast.Call(self.dotted(prim.emit[1]), args, kwargs)
        raise TypeError(f"cannot emit {prim.key}")

    def call_args(self, args, kwargs):
        kw = [ast.keyword(k, self.operand(v)) for k, v in reversed(kwargs)][::-1]
        pos = [self.operand(a) for a in reversed(args)][::-1]
        return pos, kw

    def bound_args(self, prim, args):
        """Required parameters by position; optional ones by keyword, when not default."""
        pos, kw = [], []
        for (name, default), value in reversed(list(zip(prim.params, args))):
            if default is rules.REQUIRED:
                pos.append(self.operand(value))
            elif not (isinstance(value, Const) and _same_const(value.value, default)):
                kw.append(ast.keyword(name, self.operand(value)))
        pos, kw = pos[::-1], kw[::-1]
        if prim.sequence_span is not None:  # the elements of a sequence: np.stack([a, b])
            at, n = prim.sequence_span
            pos[at:at + n] = [ast.List(pos[at:at + n], _LOAD)]
        return pos, kw

    # -- statements -----------------------------------------------------------------
    def plan(self, body, result=None):
        """The temporaries of ``body`` to fold into their use.

        One is folded when it is used once, by a later statement of the same
        block, and no statement in between rebinds a name its expression reads
        (adjoints are rebound: ``bx = bx + ...``).
        """
        # One pass over the block first, so that each temporary's check is a few
        # lookups rather than a scan of the statements after it.
        direct = []     # per statement: ids of the Vars it reads itself
        mentioned = {}  # id(var) -> positions of the statements that read it, nested or not
        rebound = {}    # name -> positions of the statements that rebind it
        for k, stmt in enumerate(body):
            own = {id(o) for o in stmt.operands() if type(o) is Var}
            direct.append(own)
            for key in own if type(stmt) is Op else own | _nested_reads(stmt):
                mentioned.setdefault(key, []).append(k)
            for name in _rebinds(stmt):
                rebound.setdefault(name, []).append(k)
        reads, fold = {}, set()
        for i, stmt in enumerate(body):
            if not (isinstance(stmt, Op) and stmt.target is not None and self._foldable(stmt)):
                continue
            names = set()
            for o in stmt.operands():
                if isinstance(o, Var):
                    names |= reads.get(id(o), {o.name})
            reads[id(stmt.target)] = names
            target = stmt.target
            # the first later statement that reads it: folded into it if it reads it
            # itself (not in a nested block), and nothing before it rebinds a name
            at = _first_after(mentioned.get(id(target), ()), i)
            end = len(body) if at is None else at
            if any(_first_after(rebound.get(name, ()), i, end) is not None for name in names):
                continue
            if id(target) in direct[at] if at is not None else result is target:
                fold.add(id(target))
        return fold

    def block(self, body, tail=(), exit=None, result=None):
        """Statements for ``body``, then the phi copies ``tail`` and a loop's exit.

        With ``result`` (an operand read right after the block, such as a while
        condition), returns (statements, expression of ``result``).
        """
        out, note = [], None
        saved, self.pending = self.pending, {}
        saved_fold = getattr(self, "fold", set())
        self.fold = self.plan(body, result)
        for stmt in body:
            new = self.statement(stmt)
            if new and stmt.note and stmt.note != note:
                out.append(_comment(stmt.note))
            if new:
                note = stmt.note
            out.extend(new)
        out.extend(self.copies(tail))
        if exit is not None:
            out.append(ast.If(self.operand(exit), [ast.Break()], []))
        expr = self.operand(result) if result is not None else None
        self.pending, self.fold = saved, saved_fold
        return (out, expr) if result is not None else out

    def copies(self, pairs):
        """Assignments leaving SSA at a join: a tuple assignment where they overlap."""
        pairs = [(t, v) for t, v in pairs if not (isinstance(v, Var) and v.name == t.name)]
        if not pairs:
            return []
        targets = {t.name for t, _ in pairs}
        overlap = any(isinstance(v, Var) and v.name in targets for _, v in pairs)
        if len(pairs) > 1 and overlap:
            lhs = ast.Tuple([ast.Name(t.name, _STORE) for t, _ in pairs], _STORE)
            rhs = ast.Tuple([self.operand(v) for _, v in pairs], _LOAD)
            return [ast.Assign([lhs], rhs, None)]
        return [ast.Assign([ast.Name(t.name, _STORE)], self.operand(v), None)
                for t, v in pairs]

    def statement(self, stmt):
        if isinstance(stmt, Op):
            if stmt.prim == "assert":
                return [ast.Assert(self.operand(stmt.args[0]), None)]
            expr = self.expression(stmt)
            if stmt.target is None:
                return [ast.Expr(expr)]
            if id(stmt.target) in self.fold:
                self.pending[id(stmt.target)] = (expr, None)
                return []
            return [ast.Assign([ast.Name(stmt.target.name, _STORE)], expr, None)]
        if isinstance(stmt, Return):
            return [ast.Return(self.operand(stmt.value))]
        if isinstance(stmt, If):
            test = self.operand(stmt.test)
            body = self.block(stmt.body, [(p.target, p.inputs[0]) for p in stmt.phis])
            orelse = self.block(stmt.orelse, [(p.target, p.inputs[1]) for p in stmt.phis])
            if not body and not orelse:
                return []
            if not body:
                return [ast.If(ast.UnaryOp(ast.Not(), test), orelse, [])]
            return [ast.If(test, body, orelse)]
        if isinstance(stmt, For):
            pre = self.copies([(p.target, p.inputs[0]) for p in stmt.phis])
            target = ast.Name(stmt.target.name if self.uses.get(id(stmt.target)) else "_",
                              _STORE)
            iterable = self.operand(stmt.iter)
            if stmt.counter is not None:
                target = ast.Tuple([ast.Name(stmt.counter.name, _STORE), target], _STORE)
                iterable = ast.Call(self.load("enumerate"), [iterable], [])
            body = self.block(stmt.body, [(p.target, p.inputs[1]) for p in stmt.phis], stmt.exit)
            return pre + [ast.For(target, iterable, body or [ast.Pass()], [], None)]
        if isinstance(stmt, While):
            pre = self.copies([(p.target, p.inputs[0]) for p in stmt.phis])
            header, cond = self.block(stmt.header, result=stmt.cond)
            body = self.block(stmt.body, [(p.target, p.inputs[1]) for p in stmt.phis], stmt.exit)
            if header:
                stop = ast.If(ast.UnaryOp(ast.Not(), cond), [ast.Break()], [])
                return pre + [ast.While(ast.Constant(True, None), header + [stop] + body, [])]
            return pre + [ast.While(cond, body or [ast.Pass()], [])]
        raise TypeError(f"cannot emit {type(stmt).__name__}")

    def _foldable(self, op):
        target = op.target
        if not (self.inline and target.temp and self.uses.get(id(target)) == 1):
            return False
        prim = rules.PRIMS[op.prim]
        return prim.key not in ("call", "getattr") and prim.emit[0] != "generic"


def _nested_reads(stmt):
    """Ids of the Vars a nested part of ``stmt`` (an arm, a loop body, a phi) reads."""
    if not isinstance(stmt, (If, For, While)):
        return set()
    inner = [o for s in walk([stmt]) if s is not stmt for o in all_operands(s)]
    own = stmt.operands()
    inner += [o for o in all_operands(stmt) if not any(o is x for x in own)]
    return {id(o) for o in inner if isinstance(o, Var)}


def _first_after(positions, i, end=None):
    """The first of the sorted ``positions`` after ``i`` (and before ``end``), or None."""
    j = bisect.bisect_right(positions, i)
    if j < len(positions) and (end is None or positions[j] < end):
        return positions[j]
    return None


def _rebinds(stmt):
    if type(stmt) is Op:  # the common case: no nested statements
        return (stmt.target.name,) if stmt.target is not None else ()
    names = set()
    for s in walk([stmt]):
        names |= {d.name for d in s.defs()}
        if isinstance(s, (For, While)):
            names |= {d.name for d in s.loop_defs()}
    return names


def _same_const(a, b):
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _operator(cls):
    """The ``ast`` operator node for the gast operator class a rule declares."""
    if cls not in _OPERATORS:
        _OPERATORS[cls] = getattr(ast, cls.__name__)
    return _OPERATORS[cls]()


def _comment(text):
    return ast.Expr(ast.Constant(COMMENT + text, None))
