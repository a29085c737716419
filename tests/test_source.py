"""The frontend reads a function's lines as ``inspect.getsourcelines`` does, without
Python's tokenizer where indentation tells where the ``def`` ends."""
import functools
import inspect
import textwrap

import pytest

from adcompiler.frontend.source import parse_function, source_lines


def plain(x):
    y = x * 2
    return y


def trailing_comments(x):
    y = x * 2
# at column 0, inside the body
    return y
    # indented as the body: inspect keeps it
# at column 0 after the body: inspect drops it


def docstring_at_column_0(x):
    """A docstring whose lines
start at column 0
    """
    return x


def bracket_at_column_0(x):
    return (x +
1)


def backslash_at_column_0(x):
    y = x + \
1
    return y


def string_at_column_0(x):
    s = """
"""
    return x


def decorated_by(decorator):
    @decorator
    def inner(x):
        return x * 3
    return inner


def one_line(x): return x * 2  # noqa: E704


def long_header(x,
                y):
    return x * y


def with_lambda_default(x, f=lambda t: t * 2):
    return f(x)


def outer():
    def nested(x):
        if x > 0:
            return x
        return -x
    return nested


FUNCTIONS = [plain, trailing_comments, docstring_at_column_0, bracket_at_column_0,
             backslash_at_column_0, string_at_column_0, decorated_by(functools.lru_cache),
             decorated_by(lambda f: f), one_line, long_header, with_lambda_default.__defaults__[0],
             outer(), outer]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.__qualname__)
def test_lines_are_those_inspect_reads(fn):
    lines, first, guessed = source_lines(fn)
    expected = inspect.getsourcelines(fn)
    if guessed and (lines, first) != expected:
        # a wrong guess must not parse as one statement: parse_function then asks inspect
        with pytest.raises(SyntaxError):
            compile(textwrap.dedent("".join(lines)), "<guess>", "exec", dont_inherit=True)
    if fn.__name__ != "<lambda>" and not isinstance(fn, functools._lru_cache_wrapper):
        parsed = parse_function(fn)
        assert parsed.first_line == expected[1]
        assert parsed.lines == textwrap.dedent("".join(expected[0])).splitlines()


def test_the_guess_is_used_when_it_is_right():
    assert source_lines(plain)[2] and source_lines(trailing_comments)[2]
    assert source_lines(plain)[:2] == inspect.getsourcelines(plain)
    assert source_lines(trailing_comments)[:2] == inspect.getsourcelines(trailing_comments)
