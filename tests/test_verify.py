"""The IR verifier, on IR built by hand: each check fires on the bug it exists for,
and stays quiet on the same shape of code done right.

``verify`` checks SSA (one definition, uses after definitions, arm values
visible after an ``If`` only through its phis); ``verify_names`` checks that
printing the IR with its display names reads the right values.
"""
import pytest

from adcompiler.ir.nodes import Const, For, Function, If, Names, Op, Phi, Return, Var, While
from adcompiler.ir.verify import VerifyError, verify, verify_names


def function(params, body):
    return Function("f", params, body, Names())


def op(target, prim, *args):
    return Op(target, prim, args)


# ---- verify: SSA ---------------------------------------------------------------------------
def test_a_value_defined_twice_is_caught():
    x, t = Var("x"), Var("t")
    fn = function([x], [op(t, "neg", x), op(t, "neg", x), Return(t)])
    with pytest.raises(VerifyError, match="t is defined twice"):
        verify(fn)


def test_a_use_before_its_definition_is_caught():
    x, t, u = Var("x"), Var("t"), Var("u")
    fn = function([x], [op(u, "neg", t), op(t, "neg", x), Return(u)])
    with pytest.raises(VerifyError, match="t is used before its definition"):
        verify(fn)


def test_a_value_of_one_arm_is_not_visible_in_the_other_nor_after_the_if():
    x, a, b, y = Var("x"), Var("a"), Var("b"), Var("y")
    ok = If(x, [op(a, "neg", x)], [op(b, "neg", x)], [Phi(y, [a, b])])
    verify(function([x], [ok, Return(y)]))
    a, b, y = Var("a"), Var("b"), Var("y")
    crossed = If(x, [op(a, "neg", x)], [op(b, "neg", a)], [Phi(y, [a, b])])
    with pytest.raises(VerifyError, match="a is used before its definition"):
        verify(function([x], [crossed, Return(y)]))
    a, b, y = Var("a"), Var("b"), Var("y")
    leaked = If(x, [op(a, "neg", x)], [op(b, "neg", x)], [Phi(y, [a, b])])
    with pytest.raises(VerifyError, match="a is used before its definition"):
        verify(function([x], [leaked, Return(a)]))
    a, b, y = Var("a"), Var("b"), Var("y")
    wrong_phi = If(x, [op(a, "neg", x)], [op(b, "neg", x)], [Phi(y, [a, a])])
    with pytest.raises(VerifyError, match="phi y, else arm"):
        verify(function([x], [wrong_phi, Return(y)]))


def test_a_reversed_if_sees_what_the_same_arm_defined_forward():
    x, a, b = Var("x"), Var("a"), Var("b")
    forward = If(x, [op(a, "neg", x)], [op(b, "neg", x)], [])
    c, d = Var("c"), Var("d")
    backward = If(x, [op(c, "neg", a)], [op(d, "neg", b)], [], mirror=forward)
    verify(function([x], [forward, backward, Return(x)]))
    c, d = Var("c"), Var("d")
    crossed = If(x, [op(c, "neg", b)], [op(d, "neg", a)], [], mirror=forward)
    with pytest.raises(VerifyError, match="b is used before its definition"):
        verify(function([x], [forward, crossed, Return(x)]))


def test_a_loop_body_value_is_visible_after_the_loop_only_through_its_phi():
    xs, s0, s, v, s1 = Var("xs"), Var("s0"), Var("s"), Var("v"), Var("s1")
    loop = For(v, xs, [op(s1, "add", s, v)], [Phi(s, [s0, s1])])
    verify(function([xs, s0], [loop, Return(s)]))
    s, v, s1 = Var("s"), Var("v"), Var("s1")
    loop = For(v, xs, [op(s1, "add", s, v)], [Phi(s, [s0, s1])])
    with pytest.raises(VerifyError, match="s1 is used before its definition"):
        verify(function([xs, s0], [loop, Return(s1)]))


# ---- verify_names: display names -------------------------------------------------------------
def test_a_name_rebound_before_a_read_is_caught():
    x = Var("x")
    b1, b2, y = Var("bx"), Var("bx"), Var("y")
    ok = [op(b1, "neg", x), op(y, "mul", b1, x), op(b2, "add", b1, y), Return(b2)]
    verify_names(function([x], ok))
    b1, b2, y = Var("bx"), Var("bx"), Var("y")
    late = [op(b1, "neg", x), op(b2, "add", b1, x), op(y, "mul", b1, x), Return(y)]
    with pytest.raises(VerifyError, match="the name 'bx' holds another value when mul"):
        verify_names(function([x], late))


def test_a_name_rebound_in_one_arm_is_unknown_after_the_if():
    x, b1, b2, y = Var("x"), Var("bx"), Var("bx"), Var("y")
    branch = If(x, [op(b2, "neg", b1)], [], [])
    body = [op(b1, "neg", x), branch, op(y, "mul", b1, x), Return(y)]
    with pytest.raises(VerifyError, match="the name 'bx' holds another value"):
        verify_names(function([x], body))
    # rebound in both arms to the value the phi joins: known after the if
    x, b1, b2, b3, b4, y = (Var(n) for n in ("x", "bx", "bx", "bx", "bx", "y"))
    branch = If(x, [op(b2, "neg", b1)], [op(b3, "neg", b1)], [Phi(b4, [b2, b3])])
    verify_names(function([x], [op(b1, "neg", x), branch, op(y, "mul", b4, x), Return(y)]))


def test_phi_copies_are_a_parallel_assignment():
    x, a, b, p, q = Var("x"), Var("a"), Var("b"), Var("b"), Var("a")
    # (b, a) = (a, b) at the join: each copy reads the value from before the join
    swap = If(x, [], [], [Phi(p, [Var("a"), Var("b")]), Phi(q, [Var("b"), Var("a")])])
    ins = [op(a, "neg", x), op(b, "neg", x)]
    for phi, (k1, k2) in zip(swap.phis, ((a, b), (b, a))):
        phi.inputs = [k1, k2]
    verify_names(function([x], ins + [swap, Return(p)]))


def test_a_reversed_if_reads_the_names_its_forward_arm_left():
    x, t, y = Var("x"), Var("t"), Var("y")
    t_then, t_else = Var("t"), Var("t")
    forward = If(x, [op(t_then, "neg", x)], [op(t_else, "mul", x, x)], [])
    u1, u2 = Var("u"), Var("u")
    backward = If(x, [op(u1, "mul", t_then, x)], [op(u2, "mul", t_else, x)], [],
                  mirror=forward)
    verify_names(function([x], [forward, backward, Return(x)]))
    # the other arm's value under the same name: wrong
    u1, u2 = Var("u"), Var("u")
    crossed = If(x, [op(u1, "mul", t_else, x)], [op(u2, "mul", t_then, x)], [],
                 mirror=forward)
    with pytest.raises(VerifyError, match="the name 't' holds another value"):
        verify_names(function([x], [forward, crossed, Return(x)]))
    # without the mirror, t is unknown after the forward if
    u1, u2 = Var("u"), Var("u")
    plain = If(x, [op(u1, "mul", t_then, x)], [op(u2, "mul", t_else, x)], [])
    with pytest.raises(VerifyError, match="the name 't' holds another value"):
        verify_names(function([x], [forward, plain, Return(x)]))
    del t, y


def test_a_loop_body_must_not_read_a_name_its_previous_iteration_rebound():
    xs, s0, s, v, s1 = Var("xs"), Var("s"), Var("s"), Var("v"), Var("s")
    loop = For(v, xs, [op(s1, "add", s, v)], [Phi(s, [s0, s1])])
    verify_names(function([xs, s0], [loop, Return(s)]))
    # the body reads s0 (its name s) after the first iteration rebound s
    xs, s0, s, v, s1 = Var("xs"), Var("s"), Var("s"), Var("v"), Var("s")
    loop = For(v, xs, [op(s1, "add", s0, v)], [Phi(s, [s0, s1])])
    with pytest.raises(VerifyError, match="the name 's' holds another value when add"):
        verify_names(function([xs, s0], [loop, Return(s)]))


def test_a_while_header_is_checked_on_every_iteration():
    x, c0, c, k, c1, k1 = Var("x"), Var("c"), Var("c"), Var("k"), Var("c"), Var("k")
    # header: k = c > 0; body: c = c - 1 (reads the header's phi value)
    loop = While([op(k, "gt", c, Const(0))], k, [op(c1, "sub", c, Const(1))],
                 [Phi(c, [c0, c1])])
    verify_names(function([x, c0], [loop, Return(c)]))
    x, c0, c, k, c1 = Var("x"), Var("c"), Var("c"), Var("k"), Var("c")
    # the header reads the value from before the loop, rebound by the body
    loop = While([op(k, "gt", c0, Const(0))], k, [op(c1, "sub", c, Const(1))],
                 [Phi(c, [c0, c1])])
    with pytest.raises(VerifyError, match="the name 'c' holds another value when gt"):
        verify_names(function([x, c0], [loop, Return(c)]))


def test_nested_branches_and_loops_are_checked_inside():
    xs, x, s0, s, v, s1, s2, s3 = (Var(n) for n in ("xs", "x", "s", "s", "v", "s", "s", "s"))
    inner = If(x, [op(s2, "add", s, v)], [op(s3, "sub", s, v)], [Phi(s1, [s2, s3])])
    loop = For(v, xs, [inner], [Phi(s, [s0, s1])])
    verify(function([xs, x, s0], [loop, Return(s)]))
    verify_names(function([xs, x, s0], [loop, Return(s)]))
    xs, x, s0, s, v, s1, s2, s3 = (Var(n) for n in ("xs", "x", "s", "s", "v", "s", "s", "s"))
    # the else arm reads the value from before the loop
    inner = If(x, [op(s2, "add", s, v)], [op(s3, "sub", s0, v)], [Phi(s1, [s2, s3])])
    loop = For(v, xs, [inner], [Phi(s, [s0, s1])])
    with pytest.raises(VerifyError, match="the name 's' holds another value when sub"):
        verify_names(function([xs, x, s0], [loop, Return(s)]))
