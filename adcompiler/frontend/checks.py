"""The checking pass: reject, at its source line, every construct we do not support.

This pass is strict: it allows a fixed list of node types and nothing else,
so an unknown construct is reported here rather than crashing later.
"""
import gast

from ..errors import UnsupportedError
from .source import child_nodes

STATEMENTS = (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Return, gast.Expr, gast.Pass,
              gast.Assert, gast.If, gast.For, gast.While, gast.Break, gast.Continue,
              gast.FunctionDef)

EXPRESSIONS = (gast.BinOp, gast.UnaryOp, gast.BoolOp, gast.Compare, gast.Call, gast.Name,
               gast.Constant, gast.Attribute, gast.Subscript, gast.Slice, gast.Tuple,
               gast.List, gast.IfExp, gast.keyword, gast.Lambda, gast.arguments, gast.Dict)

CONTEXT = (gast.Load, gast.Store, gast.Del, gast.operator, gast.unaryop, gast.boolop,
           gast.cmpop, gast.expr_context)

HINTS = {
    gast.With: ("`with` statement", "move the `with` block outside the differentiated function"),
    gast.Try: ("`try` statement", "handle errors outside the differentiated function"),
    gast.Raise: ("`raise` statement", "validate inputs before calling the gradient"),
    gast.Global: ("`global` statement", "pass the value as an argument"),
    gast.Nonlocal: ("`nonlocal` statement", "pass the value as an argument and return it"),
    gast.Delete: ("`del` statement", "drop the `del`; names go out of scope on return"),
    gast.ClassDef: ("class definition", "define classes at module level"),
    gast.Import: ("import inside the function", "import at module level"),
    gast.ImportFrom: ("import inside the function", "import at module level"),
    gast.ListComp: ("list comprehension", "write a `for` loop that appends, or use NumPy"),
    gast.SetComp: ("set comprehension", "write a `for` loop"),
    gast.DictComp: ("dict comprehension", "write a `for` loop"),
    gast.GeneratorExp: ("generator expression", "write a `for` loop, or use np.sum"),
    gast.Yield: ("`yield`", "return the values instead"),
    gast.YieldFrom: ("`yield from`", "return the values instead"),
    gast.Await: ("`await`", "differentiate synchronous code"),
    gast.NamedExpr: ("assignment expression (:=)", "assign in a statement of its own"),
    gast.Starred: ("starred expression", "pass the arguments one by one"),
    gast.Set: ("set display", "use a tuple or an array"),
    gast.JoinedStr: ("f-string", "format strings outside the differentiated function"),
}


def check_function(parsed):
    """Raise UnsupportedError at the first construct outside the supported language."""
    node = parsed.node
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise UnsupportedError("*args, **kwargs and keyword-only parameters are not supported",
                               parsed.loc(node), "function signature",
                               hint="list the parameters one by one")
    for stmt in node.body:
        _check(parsed, stmt, in_loop=False)


def _kind(cls):
    """What ``_check`` asks of a node of class ``cls``: whether it is refused, and
    whether it is an AugAssign, Assign, For or While (these need a closer look).
    The same for every node of a class, so worked out once per class."""
    kind = _KINDS.get(cls)
    if kind is None:
        refused = issubclass(cls, gast.stmt) and not issubclass(cls, STATEMENTS) or \
            issubclass(cls, gast.expr) and not issubclass(cls, EXPRESSIONS)
        kind = _KINDS[cls] = (refused, issubclass(cls, (gast.AugAssign, gast.Assign, gast.For,
                                                        gast.While)))
    return kind


_KINDS = {}


def _check(parsed, node, in_loop):
    refused, special = _kind(type(node))
    if refused:
        _reject(parsed, node)
    if not special:  # most nodes: only their children to check
        for child in child_nodes(node):
            _check(parsed, child, in_loop)
        return
    if isinstance(node, gast.AugAssign) and not isinstance(node.target, (gast.Name,
                                                                       gast.Subscript)):
        raise UnsupportedError("augmented assignment to an element or attribute is not supported "
                               "yet", parsed.loc(node), "augmented assignment",
                               hint="compute the new array with np.where or arithmetic")
    if isinstance(node, gast.Assign):
        for target in node.targets:
            _check_target(parsed, target)
    if isinstance(node, (gast.For, gast.While)) and node.orelse:
        raise UnsupportedError("`else` on a loop is not supported", parsed.loc(node),
                               "loop else", hint="use a flag variable set before `break`")
    if isinstance(node, gast.For):
        _check_target(parsed, node.target)
    for child in child_nodes(node):
        _check(parsed, child, in_loop or isinstance(node, (gast.For, gast.While)))


def _check_target(parsed, target):
    if isinstance(target, gast.Name):
        return
    if isinstance(target, (gast.Tuple, gast.List)):
        for elt in target.elts:
            _check_target(parsed, elt)
        return
    if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
        return  # d['k'] = v on a container; the builder refuses a write into an array
    what = {gast.Subscript: "assignment to an element or slice",
            gast.Attribute: "assignment to an attribute"}.get(type(target), "assignment target")
    raise UnsupportedError(f"{what} is not supported yet", parsed.loc(target), what,
                           hint="build a new array (np.where, np.concatenate) instead of "
                                "writing into one")


def _reject(parsed, node):
    construct, hint = HINTS.get(type(node), (type(node).__name__, None))
    raise UnsupportedError(f"{construct} is not supported", parsed.loc(node), construct, hint)
