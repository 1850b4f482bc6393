"""The one kind of error a user should ever see: bad input, reported in one line."""


def _one_line(text: str) -> str:
    """Text with line breaks and other control characters made visible, so that a message
    is always exactly one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in " ".join(str(text).splitlines()))


class InputError(Exception):
    """Bad input: names the file, the key path, what was expected and what was found.

    Args:
        source: the file (or command-line option) the bad value came from.
        key: the dotted key path inside it, or "" when the whole file is at fault.
        problem: what was expected and what was found, in plain words.
    """

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = _one_line(source), _one_line(key), _one_line(problem)
        where = f"{self.source}: {self.key}: " if self.key else f"{self.source}: "
        super().__init__(where + self.problem)
