"""Print the SSA form as text: what ``.ssa`` shows."""
from .nodes import For, If, Index, Op, Return, While


def format_operand(o):
    if isinstance(o, Index):
        return "[" + repr(o) + "]"
    return repr(o)


def format_op(op):
    args = [format_operand(a) for a in op.args] + [f"{k}={format_operand(v)}" for k, v in op.kwargs]
    call = f"{op.prim}({', '.join(args)})"
    return f"{op.target.name} = {call}" if op.target is not None else call


def print_function(fn):
    params = ", ".join(p.name for p in fn.params)
    lines = [f"def {fn.name}({params}):"]
    _block(fn.body, lines, 1)
    return "\n".join(lines)


def _block(body, lines, depth):
    pad = "    " * depth
    if not body:
        lines.append(pad + "pass")
    for stmt in body:
        if isinstance(stmt, Op):
            lines.append(pad + format_op(stmt))
        elif isinstance(stmt, Return):
            lines.append(pad + "return " + format_operand(stmt.value))
        elif isinstance(stmt, If):
            lines.append(f"{pad}if {format_operand(stmt.test)}:")
            _block(stmt.body, lines, depth + 1)
            lines.append(pad + "else:")
            _block(stmt.orelse, lines, depth + 1)
            for phi in stmt.phis:
                ins = ", ".join(format_operand(i) for i in phi.inputs)
                lines.append(f"{pad}{phi.target.name} = phi({ins})")
        elif isinstance(stmt, (For, While)):
            for phi in stmt.phis:
                ins = ", ".join(format_operand(i) for i in phi.inputs)
                lines.append(f"{pad}{phi.target.name} = phi({ins})  # loop header")
            if isinstance(stmt, For):
                target = stmt.target.name
                if stmt.counter is not None:
                    target = f"{stmt.counter.name}, {target}"
                lines.append(f"{pad}for {target} in {format_operand(stmt.iter)}:")
            else:
                lines.append(f"{pad}while:")
                _block(stmt.header, lines, depth + 1)
                lines.append(f"{pad}    if not {format_operand(stmt.cond)}: break")
            _block(stmt.body, lines, depth + 1)
            if stmt.exit is not None:
                lines.append(f"{pad}    if {format_operand(stmt.exit)}: break")
            if stmt.trip is not None:
                lines.append(f"{pad}{stmt.trip.name} = trip count")
        else:
            raise TypeError(f"cannot print {type(stmt).__name__}")

