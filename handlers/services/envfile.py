""".env files: write variables so any value survives, and read them back line by line.

Writing: a file we export must be inert and exact wherever people load it. A value made only
of "safe" characters is written bare (``KEY=value``, as in the seed's export): the same bytes
for bash, sh, ``docker --env-file``, python-dotenv and us. Any other value is single-quoted,
which every shell and python-dotenv read literally (no ``$``, backtick or backslash
expansion), unless it contains a ``'``, a ``\\\\`` pair or ends in a backslash (python-dotenv
decodes ``\\\\`` and ``\\'`` inside single quotes); those values are double-quoted with the four
characters a POSIX shell expands there (``\\``, ``"``, ``$``, backtick) backslash-escaped.
Newlines, carriage returns and tabs stay literal inside the quotes: a shell has no escape for
them in double quotes. What no format can say for every reader (the module's tests pin each):

* ``docker --env-file`` takes everything after ``=`` raw, quotes included: exact only for bare
  values.
* python-dotenv reads ``\\$`` and ``\\``` in double quotes as two characters, a file's carriage
  returns as newlines, and (``interpolate=True``, its default) expands ``${NAME}`` anywhere.

Reading (what people put in real files): blank lines and ``#`` comments, an optional
``export`` prefix, spaces around ``=``, bare values (a `` #`` starts an inline comment),
single-quoted values (literal, as in a shell), double-quoted values (escapes ``\\n \\r \\t \\\\
\\" \\' \\$ \\```; an unknown escape keeps its backslash), quoted values spanning lines, CRLF line
ends (a carriage return inside quotes is kept) and a leading byte-order mark. Every line that
cannot be read becomes a :class:`LineError` with its line number and a reason; the lines around
it are still read.

Reading is linear in the file's size, and bounded: past ``max_entries`` variables or
``max_errors`` unreadable lines it stops with :class:`DotenvLimitExceeded` (the caller answers
413 or 400), so a hostile upload costs a bounded amount of work and a bounded error list.

An own reader rather than python-dotenv's: python-dotenv reports a bad line without a reason
and accepts keys our API refuses; the import summary needs both, per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")
# Inside double quotes a POSIX shell expands exactly these four after a backslash.
_SHELL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "$": "\\$", "`": "\\`"})
_READ_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "$": "$",
    "`": "`",
}
_BLANK = " \t\r"  # "\r": the CR of a CRLF line end (inside quotes it is kept)
# Runs of blank and comment lines, and the body of a double-quoted value, are matched by the
# regular-expression engine: whatever a file holds, Python-level work is per variable or bad
# line (both capped by the caller), not per character or per comment line.
# At most 1024 lines a match: the engine holds the GIL while it runs, and the reader shares the
# process with the event loop.
_SKIPPABLE_LINES = re.compile(r"(?:[ \t\r]*(?:#[^\n]*)?\n){0,1024}")
_DOUBLE_QUOTED_PART = re.compile(r'[^"\\]*(?:\\.[^"\\]*){0,1024}', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_INLINE_COMMENT = re.compile(r"[ \t]#")
_QUOTE_NAMES = {'"': "double-quoted", "'": "single-quoted"}


def is_valid_key(key: str) -> bool:
    """Whether ``key`` is a variable name our API accepts (``[A-Za-z_][A-Za-z0-9_]*``)."""
    return _KEY.match(key) is not None


def format_value(value: str) -> str:
    """``value`` as it stands right of ``=``: bare when safe, else quoted (see the module)."""
    if _BARE.match(value):
        return value
    if "'" not in value and "\\\\" not in value and not value.endswith("\\"):
        return f"'{value}'"
    return '"' + value.translate(_SHELL_ESCAPES) + '"'


def comment_text(text: str) -> str:
    """``text`` made safe for a ``#`` comment line (control characters become spaces)."""
    return "".join(" " if ord(ch) < 32 or ch in "\x7f\x85\u2028\u2029" else ch for ch in text)


def render_dotenv(variables: Iterable[tuple[str, str]], header: Iterable[str] = ()) -> str:
    """A .env document: ``# header`` lines, a blank line, then ``KEY=value`` per variable."""
    lines = [f"# {comment_text(line)}" for line in header]
    if lines:
        lines.append("")
    lines += [f"{key}={format_value(value)}" for key, value in variables]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``KEY=value`` read from a file; ``line`` is where it starts (from 1)."""

    line: int
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that could not be read: its number, the key when one was found, and why."""

    line: int
    key: str | None
    reason: str


@dataclass(slots=True)
class ParsedDotenv:
    """Everything read from one file, in file order."""

    entries: list[Entry] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """The variables, a later line winning over an earlier one with the same key."""
        return {entry.key: entry.value for entry in self.entries}


class DotenvLimitExceeded(Exception):
    """The file holds more variables (``what == "entries"``) or more unreadable lines
    (``what == "errors"``) than the reader was allowed; ``line`` is where it stopped."""

    def __init__(self, what: str, limit: int, line: int) -> None:
        super().__init__(f"more than {limit} {what} (stopped at line {line})")
        self.what = what
        self.limit = limit
        self.line = line


class _Unreadable(Exception):
    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


class _Reader:
    """A cursor over the whole text: quoted values may run past the end of their line."""

    def __init__(self, text: str, max_value_length: int | None = None) -> None:
        self.text = text
        self.pos = 0
        self.max_value_length = max_value_length
        self._line = 1
        self._counted_to = 0

    def line_number(self, pos: int) -> int:
        """The line of ``pos``; counts only the text since the last call (positions only grow),
        so numbering a whole file is linear, not quadratic, in its length."""
        if pos < self._counted_to:  # not reached by the parser; kept correct anyway
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._counted_to, pos)
        self._counted_to = pos
        return self._line

    def end_of_line(self, pos: int) -> int:
        found = self.text.find("\n", pos)
        return len(self.text) if found < 0 else found

    def skip_blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _BLANK:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""


def parse_dotenv(
    text: str,
    *,
    max_entries: int | None = None,
    max_errors: int | None = None,
    max_value_length: int | None = None,
) -> ParsedDotenv:
    """Read a .env document; unreadable lines become :class:`LineError` values, not exceptions.

    Past ``max_entries`` variables or ``max_errors`` unreadable lines (when given) it stops
    reading and raises :class:`DotenvLimitExceeded`. A value longer than ``max_value_length``
    is a line error (and a far longer one is not even unescaped).
    """
    text = text.removeprefix("\ufeff")
    reader = _Reader(text, max_value_length)
    parsed = ParsedDotenv()

    def fail(line: int, key: str | None, reason: str) -> None:
        parsed.errors.append(LineError(line, key, reason))
        if max_errors is not None and len(parsed.errors) > max_errors:
            raise DotenvLimitExceeded("unreadable lines", max_errors, line)

    while reader.pos < len(text):
        skipped = _SKIPPABLE_LINES.match(text, reader.pos).end()  # type: ignore[union-attr]
        if skipped != reader.pos:
            reader.pos = skipped
            continue
        start = reader.pos
        line_end = reader.end_of_line(start)
        reader.skip_blanks()
        if reader.pos >= line_end or reader.peek() == "#":
            reader.pos = line_end + 1
            continue
        try:
            key, value = _binding(reader, line_end)
        except _Unreadable as exc:
            fail(reader.line_number(start), exc.key, exc.reason)
            reader.pos = line_end + 1
            continue
        line = reader.line_number(start)
        if "\x00" in value:  # no shell, and no PostgreSQL text column, can hold one
            fail(line, key, "the value contains a NUL character")
            continue
        if max_value_length is not None and len(value) > max_value_length:
            fail(line, key, f"value longer than {max_value_length} characters")
            continue
        parsed.entries.append(Entry(line, key, value))
        if max_entries is not None and len(parsed.entries) > max_entries:
            raise DotenvLimitExceeded("variables", max_entries, line)
    return parsed


def _binding(reader: _Reader, line_end: int) -> tuple[str, str]:
    text = reader.text
    if text.startswith("export", reader.pos) and text[reader.pos + 6 : reader.pos + 7] in _BLANK:
        reader.pos += 6
        reader.skip_blanks()
    equals = text.find("=", reader.pos, line_end)
    if equals < 0:
        raise _Unreadable("not a KEY=value line (no '=')")
    key = text[reader.pos : equals].rstrip(_BLANK)
    if not is_valid_key(key):
        raise _Unreadable(f"invalid key: keys must match {KEY_PATTERN}", key[:200] or None)
    after_equals = reader.pos = equals + 1
    reader.skip_blanks()
    quote = reader.peek()
    if quote in ('"', "'"):
        value = _quoted(reader, quote, key)
        reader.skip_blanks()
        end = reader.end_of_line(reader.pos)
        rest = text[reader.pos : end]
        if rest and not rest.startswith("#"):
            if end > line_end:  # the "closing" quote was another line's opening one
                raise _Unreadable(f"unterminated {_QUOTE_NAMES[quote]} value", key)
            raise _Unreadable("unexpected text after the closing quote", key)
        reader.pos = end + 1
        return key, value
    # From just after "=", so that "KEY= # note" is an empty value with a comment.
    raw = text[after_equals:line_end]
    reader.pos = line_end + 1
    comment = _INLINE_COMMENT.search(raw)
    if comment:
        raw = raw[: comment.start()]
    return key, raw.strip(_BLANK)


def _quoted(reader: _Reader, quote: str, key: str) -> str:
    text = reader.text
    pos = reader.pos + 1
    if quote == "'":
        close = text.find("'", pos)
        if close < 0:
            raise _Unreadable(f"unterminated {_QUOTE_NAMES[quote]} value", key)
        reader.pos = close + 1
        return text[pos:close]
    end = pos
    while (part := _DOUBLE_QUOTED_PART.match(text, end).end()) != end:  # type: ignore[union-attr]
        end = part
    if end >= len(text) or text[end] != '"':  # no closing quote, or a final lone backslash
        raise _Unreadable(f"unterminated {_QUOTE_NAMES[quote]} value", key)
    reader.pos = end + 1
    raw = text[pos:end]
    limit = reader.max_value_length
    if limit is not None and len(raw) > 2 * limit:
        return raw  # unescaped it would still be over the limit (an escape is 2 characters)
    return _ESCAPE.sub(_unescape, raw)


def _unescape(match: re.Match[str]) -> str:
    return _READ_ESCAPES.get(match.group(1), match.group(0))


def dotenv_of(variables: Mapping[str, str]) -> str:
    """Shorthand: ``variables`` as a .env document without a header, in key order."""
    return render_dotenv(sorted(variables.items()))
