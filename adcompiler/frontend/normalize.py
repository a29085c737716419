"""NormalizeExits: express break, continue and early return with flags.

After this pass a loop body has no ``break`` or ``continue`` except one final
``if <flag>: break``, and a function has one ``return``, at its end. The
statements after a possible exit are guarded by the flag, so every value has
a single place where control flow joins, and SSA and reverse mode stay
structured::

    for i in range(n):                    stop = False
        if x[i] < 0:                      for i in range(n):
            break               ->            skip = False
        s = s + x[i]                          if x[i] < 0:
                                                  stop = True
                                                  skip = True
                                              if not skip:
                                                  s = s + x[i]
                                              if stop:
                                                  break

A return inside a loop sets ``result`` and ``returned`` and leaves every
enclosing loop; the function then ends with ``return result``.
"""
import gast

from .source import child_nodes


def normalize_exits(fn_node):
    """Rewrite ``fn_node`` (a gast.FunctionDef) in place; return it."""
    body = fn_node.body
    early, loop_exit = _exits(body)
    if not early and not loop_exit:
        return fn_node
    taken = {n.id for n in gast.walk(fn_node) if isinstance(n, gast.Name)}
    taken |= {a.id for a in fn_node.args.args}
    rewriter = _Rewriter(taken, early)
    new_body, _ = rewriter.block(body, loop=None)
    if early:
        init = [_assign(rewriter.result, gast.Constant(None, None)),
                _assign(rewriter.returned, gast.Constant(False, None))]
        new_body = init + new_body + [gast.Return(_name(rewriter.result))]
        for node in init + [new_body[-1]]:
            gast.copy_location(node, fn_node.body[-1])
    fn_node.body = new_body
    return fn_node


def _scope(node):
    """The nodes of a scope: nested functions and lambdas are their own."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        todo.extend([c for c in child_nodes(n)
                     if not isinstance(c, (gast.FunctionDef, gast.Lambda))])


def _exits(body):
    """(whether ``body`` returns before its last statement, whether it has a
    ``break`` or ``continue``), from one walk over its statements: an expression
    holds none (a lambda's body is an expression), so the walk skips them."""
    early = loop_exit = False
    last = body[-1] if body else None
    todo = list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, gast.Return):
            early = early or node is not last
        elif isinstance(node, (gast.Break, gast.Continue)):
            loop_exit = True
        todo.extend([c for c in child_nodes(node)
                     if not isinstance(c, (gast.expr, gast.FunctionDef))])
    return early, loop_exit


def _name(id_, ctx=None):
    return gast.Name(id_, ctx or gast.Load(), None, None)


def _assign(id_, value):
    return gast.Assign([_name(id_, gast.Store())], value, None)


def _flag(id_):
    return _assign(id_, gast.Constant(True, None))


class _Loop:
    def __init__(self, skip, stop):
        self.skip, self.stop = skip, stop
        self.uses_skip = self.uses_stop = False


class _Rewriter:
    def __init__(self, taken, early):
        self.taken = taken
        self.result = self.fresh("result") if early else None
        self.returned = self.fresh("returned") if early else None

    def fresh(self, base):
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def block(self, stmts, loop):
        """Rewrite a statement list; guard what follows a possible exit.

        Returns (statements, the flags they may set): the exits of the guarded
        rest count too (a `break` after a loop that may return)."""
        out, exits = [], set()
        for i, stmt in enumerate(stmts):
            new, ex = self.stmt(stmt, loop)
            out.extend(new)
            exits |= ex
            rest = stmts[i + 1:]
            if ex and rest:
                guarded, more = self.block(rest, loop)
                exits |= more
                if guarded:
                    test = self.guard(ex)
                    out.append(gast.copy_location(gast.If(test, guarded, []), rest[0]))
                break
        return out, exits

    def guard(self, exits):
        names = sorted(exits)
        if len(names) == 1:
            return gast.UnaryOp(gast.Not(), _name(names[0]))
        return gast.UnaryOp(gast.Not(), gast.BoolOp(gast.Or(), [_name(n) for n in names]))

    def stmt(self, stmt, loop):
        """(new statements, flags that may now be set and skip the rest of the block)."""
        loc = stmt
        if isinstance(stmt, gast.Continue):
            loop.uses_skip = True
            return [gast.copy_location(_flag(loop.skip), loc)], {loop.skip}
        if isinstance(stmt, gast.Break):
            loop.uses_skip = loop.uses_stop = True
            return [gast.copy_location(_flag(loop.stop), loc),
                    gast.copy_location(_flag(loop.skip), loc)], {loop.skip}
        if isinstance(stmt, gast.Return) and self.result is not None:
            value = stmt.value if stmt.value is not None else gast.Constant(None, None)
            new = [gast.copy_location(_assign(self.result, value), loc),
                   gast.copy_location(_flag(self.returned), loc)]
            if loop is not None:
                loop.uses_skip = True
                new.append(gast.copy_location(_flag(loop.skip), loc))
                return new, {loop.skip}
            return new, {self.returned}
        if isinstance(stmt, gast.If):
            body_exits, else_exits = set(), set()
            stmt.body = self._arm(stmt.body, loop, body_exits)
            stmt.orelse = self._arm(stmt.orelse, loop, else_exits)
            return [stmt], body_exits | else_exits
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        return [stmt], set()

    def _arm(self, stmts, loop, exits):
        out, ex = self.block(stmts, loop)
        exits |= ex
        return out or [gast.Pass()]

    def loop(self, stmt):
        inner = _Loop(self.fresh("skip"), self.fresh("stop"))
        returns = any(isinstance(n, gast.Return) for n in _scope(stmt))
        body, _ = self.block(stmt.body, inner)
        if inner.uses_skip:
            body.insert(0, gast.copy_location(_assign(inner.skip, gast.Constant(False, None)),
                                              stmt.body[0]))
        exit_names = ([inner.stop] if inner.uses_stop else []) + \
                     ([self.returned] if returns and self.result is not None else [])
        before = []
        if inner.uses_stop:
            before.append(gast.copy_location(_assign(inner.stop, gast.Constant(False, None)), stmt))
        if exit_names:
            test = _name(exit_names[0]) if len(exit_names) == 1 else \
                gast.BoolOp(gast.Or(), [_name(n) for n in exit_names])
            check = gast.copy_location(gast.If(test, [gast.Break()], []), stmt.body[-1])
            check.adcompiler_exit = True  # the builder turns this into the loop's exit
            body.append(check)
        stmt.body = body
        exits = {self.returned} if returns and self.result is not None else set()
        return before + [stmt], exits
