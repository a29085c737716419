"""Errors raised by adcompiler, each naming where in the user's source it arose."""


class Loc:
    """A place in the user's source: file, line, column and the text of that line."""

    __slots__ = ("filename", "line", "col", "text", "_stmt")

    def __init__(self, filename, line, col, text, stmt=None):
        self.filename, self.line, self.col, self.text = filename, line, col, text
        self._stmt = stmt

    @property
    def stmt(self):
        """The whole statement as one line of source, for comments (made when asked)."""
        if callable(self._stmt):
            self._stmt = self._stmt()
        return self._stmt

    def __repr__(self):
        return f"{self.filename}:{self.line}:{self.col}"


class AdError(Exception):
    """Base class of adcompiler's errors."""


class UnsupportedError(AdError):
    """The function uses a construct that adcompiler cannot differentiate (yet).

    The message names the file, line, column and construct, shows the line,
    and says what to write instead.
    """

    def __init__(self, message, loc=None, construct=None, hint=None):
        self.message, self.loc, self.construct, self.hint = message, loc, construct, hint
        super().__init__(self._format())

    def _format(self):
        parts = []
        if self.loc is not None:
            parts.append(f"{self.loc.filename}:{self.loc.line}:{self.loc.col + 1}: ")
        if self.construct and self.construct.lower() not in self.message.lower():
            parts.append(f"{self.construct}: ")
        parts.append(self.message)
        if self.loc is not None and self.loc.text:
            parts.append(f"\n    {self.loc.text.rstrip()}\n    {' ' * self.loc.col}^")
        if self.hint:
            parts.append(f"\n  hint: {self.hint}")
        return "".join(parts)


class NoRuleError(UnsupportedError):
    """An active value flows into a function that has no derivative rule."""
