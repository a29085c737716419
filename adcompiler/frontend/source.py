"""Read a function's source, parse it with gast, and resolve the names it reads."""
import ast
import builtins
import inspect
import textwrap

import gast

from ..errors import Loc, UnsupportedError


def child_nodes(node):
    """``gast.iter_child_nodes(node)`` as a list, in the same order, made faster:
    the frontend walks every tree several times."""
    out = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend([item for item in value if isinstance(item, ast.AST)])
    return out


def parse(text):
    """``gast.parse(text)``, faster: gast's converter from ``ast`` visits every node
    through a generic visitor and took four fifths of the parse; nodes whose fields
    agree in the two libraries are copied directly, the rest as gast does."""
    tree = ast.parse(text)
    try:
        return _to_gast(tree)
    except _Unlike:  # a node gast converts specially on this Python
        return gast.ast_to_gast(tree)


class _Unlike(Exception):
    pass


_GAST_TWIN = {}  # ast class -> its gast class when their fields agree, else None
_POSITION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def twin_class(cache, cls, module, unlike=()):
    """The class of ``module`` (ast or gast) named as ``cls``, when their fields agree
    and the name is not in ``unlike``; else None. Remembered in ``cache``."""
    twin = cache.get(cls, False)
    if twin is False:
        twin = getattr(module, cls.__name__, None)
        if twin is None or cls.__name__ in unlike or twin._fields != cls._fields:
            twin = None
        cache[cls] = twin
    return twin


def _to_gast(node):
    if isinstance(node, list):
        return [_to_gast(n) for n in node]
    if not isinstance(node, ast.AST):
        return node
    cls = type(node)
    twin = _GAST_TWIN.get(cls, False)
    if twin is False:
        twin = twin_class(_GAST_TWIN, cls, gast, ("ExceptHandler",))
    if twin is not None:  # gast's constructor sets fields one by one: fill __dict__ instead
        out = twin.__new__(twin)
        fields = out.__dict__
        fields.update(node.__dict__)  # the fields and the positions, as parsed
        for f in cls._fields:
            value = fields.get(f)
            if type(value) is list:
                fields[f] = [_to_gast(item) for item in value]
            elif isinstance(value, ast.AST):
                fields[f] = _to_gast(value)
            elif value is None:
                fields[f] = None  # a field the node lacks: None, as getattr's default
        if isinstance(node, ast.stmt):
            out.parsed_from = node  # what ir.build.statement_text prints: no conversion back
        return out
    if cls is ast.Name:  # the commonest node: gast's has two more fields, both None here
        out = gast.Name.__new__(gast.Name)
        out.__dict__.update(id=node.id, ctx=_to_gast(node.ctx), annotation=None,
                            type_comment=None)
    elif cls is ast.arg:
        out = gast.Name(node.arg, gast.Param(), _to_gast(node.annotation),
                        _to_gast(node.type_comment))
    elif cls is ast.arguments:
        out = gast.arguments(*[_to_gast(getattr(node, f)) for f in gast.arguments._fields])
    elif cls in (ast.FunctionDef, ast.AsyncFunctionDef) and "type_params" not in cls._fields:
        out = getattr(gast, cls.__name__)(*[_to_gast(getattr(node, f)) for f in cls._fields],
                                          [])
    else:
        raise _Unlike
    parsed = node.__dict__
    for a in _POSITION:
        if a in parsed:
            setattr(out, a, parsed[a])
    if isinstance(node, ast.stmt):
        out.parsed_from = node  # what ir.build.statement_text prints: no conversion back
    return out


class Parsed:
    """A parsed function and where it came from."""

    def __init__(self, fn, node, filename, first_line, lines, col_offset):
        self.fn, self.node, self.filename = fn, node, filename
        self.first_line, self.lines, self.col_offset = first_line, lines, col_offset

    def loc(self, node, stmt=None):
        """The user's file, line and column of a gast node."""
        line = getattr(node, "lineno", 1) or 1
        col = (getattr(node, "col_offset", 0) or 0) + self.col_offset
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        text = " " * self.col_offset + text if self.col_offset else text
        return Loc(self.filename, self.first_line + line - 1, col, text, stmt)


def parse_function(fn):
    """The ``gast.FunctionDef`` of ``fn`` with its decorators stripped."""
    name = getattr(fn, "__name__", repr(fn))
    if not inspect.isfunction(fn):
        raise UnsupportedError(
            f"{name!r} is not a Python function", construct="callable",
            hint="pass a function defined with `def` (methods and C functions have no "
                 "source to transform)")
    filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    try:
        lines, first_line, guessed = source_lines(fn)
    except (OSError, TypeError) as exc:
        raise UnsupportedError(
            f"cannot read the source of {name!r} ({exc})", construct="function",
            hint="adcompiler transforms source code: define the function in a file, "
                 "not at an interactive prompt or through exec") from None
    raw = "".join(lines)
    text = textwrap.dedent(raw)
    tree = None
    if guessed:  # the end found by indentation holds if the lines parse as one statement
        try:
            tree = parse(text)
        except SyntaxError:
            pass
        if tree is None or len(tree.body) != 1:
            tree, (lines, first_line) = None, inspect.getsourcelines(fn)
            raw = "".join(lines)
            text = textwrap.dedent(raw)
    col_offset = _indent(raw) - _indent(text)
    loc = Loc(filename, first_line, 0, lines[0] if lines else "")
    if fn.__name__ == "<lambda>":
        return _parse_lambda(fn, text, filename, first_line, col_offset, loc)
    try:
        tree = tree or parse(text)
    except SyntaxError as exc:
        raise UnsupportedError(f"cannot parse the source of {name!r}: {exc.msg}", loc,
                               "function") from None
    node = tree.body[0]
    if not isinstance(node, gast.FunctionDef):
        raise UnsupportedError(f"{name!r} is not defined by a plain `def`", loc, "function")
    node.decorator_list = []
    return Parsed(fn, node, filename, first_line, text.splitlines(), col_offset)


def source_lines(fn):
    """``inspect.getsourcelines(fn)`` and whether the end of its lines is a guess.

    Python's tokenizer finds where a ``def`` ends in ``inspect``: a millisecond
    for a function of twenty lines, and three more to build its regular
    expression the first time in a process. ``_block_end`` finds the same end by
    indentation, which is right unless the line it stops at continues a bracket,
    a string or a backslash line; then the lines before it do not parse, which
    the caller checks (it parses them anyway) before it trusts the guess.
    """
    fn = inspect.unwrap(fn)
    lines, start = inspect.findsource(fn)
    end = _block_end(lines, start)
    if end is None:
        return inspect.getblock(lines[start:]), start + 1, False
    return lines[start:end], start + 1, True


def _block_end(lines, start):
    """Where ``inspect.getblock(lines[start:])`` ends (an index in ``lines``) for a
    ``def``, decorated or not, whose header is one line and whose body starts on the
    next lines; None for any other shape, or indentation with tabs."""
    i = start
    while i < len(lines) and lines[i].lstrip().startswith("@"):
        i += 1  # one-line decorators
    if i == len(lines):
        return None
    header = lines[i].lstrip()
    indent = len(lines[i]) - len(header)
    if not header.startswith(("def ", "async def ")) or not header.rstrip().endswith(":") \
            or "#" in header or lines[i][:indent].strip(" "):
        return None
    body = None  # the column of the first line of the body
    last = None  # the line after the last one getblock keeps
    for j in range(i + 1, len(lines)):
        line = lines[j]
        stripped = line.lstrip()
        if not stripped:
            continue
        col = len(line) - len(stripped)
        if line[:col].strip(" "):  # a tab or a form feed: columns as the tokenizer counts
            return None
        if stripped[0] == "#":  # kept when indented as much as the body (BlockFinder)
            if body is not None and col >= body:
                last = j + 1
            continue
        if col <= indent:
            break
        if body is None:
            body = col
        last = j + 1
    return last


def _parse_lambda(fn, text, filename, first_line, col_offset, loc):
    """A lambda's source is the lines around it: find the one lambda that is ``fn``."""
    try:
        tree = gast.parse(text)
    except SyntaxError:
        try:  # a lambda inside a call that spans lines: parse from the lambda on
            tree = gast.parse("(" + text[text.index("lambda"):].rstrip().rstrip(",)") + ")")
        except (SyntaxError, ValueError):
            raise UnsupportedError("cannot read this lambda's source", loc, "lambda",
                                   hint="write the function with `def`") from None
    code = fn.__code__
    params = list(code.co_varnames[:code.co_argcount])
    found = [n for n in gast.walk(tree) if isinstance(n, gast.Lambda)
             and [a.id for a in n.args.args] == params
             and first_line + n.lineno - 1 == code.co_firstlineno]
    if len(found) != 1:
        raise UnsupportedError("cannot tell this lambda from the others on its line", loc,
                               "lambda", hint="write the function with `def`")
    node = found[0]
    body = [gast.copy_location(gast.Return(node.body), node.body)]
    fdef = gast.FunctionDef(name="lambda_", args=node.args, body=body, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])
    gast.copy_location(fdef, node)
    return Parsed(fn, fdef, filename, first_line, text.splitlines(), col_offset)


def _indent(text):
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return len(first) - len(first.lstrip())


class LiveCell:
    """A closure cell that generated code reads when it runs, not when it is
    compiled: a closure variable the outer function rebinds later is seen."""

    __slots__ = ("cell",)

    def __init__(self, cell):
        self.cell = cell


class Resolver:
    """Looks up the names a function reads that it does not assign itself:
    closure cells first, then its module's globals, then builtins."""

    MISSING = object()

    def __init__(self, fn):
        self.fn = fn
        self.closure, self.cells = {}, {}
        if fn.__closure__:
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:  # an empty cell: assigned later in the outer function
                    continue
                self.cells[name] = LiveCell(cell)
        self.globals = fn.__globals__

    def lookup(self, name):
        if name in self.closure:
            return self.closure[name], "closure"
        try:
            # generated code's globals fall back to the user's module (a __missing__)
            return self.globals[name], "global"
        except KeyError:
            pass
        if hasattr(builtins, name):
            return getattr(builtins, name), "builtin"
        return self.MISSING, None
