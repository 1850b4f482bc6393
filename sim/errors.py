"""The one kind of error a user should ever see: bad input, reported in one line."""


class InputError(Exception):
    """Bad input: names the file, the key path, what was expected and what was found.

    Args:
        source: the file (or command-line option) the bad value came from.
        key: the dotted key path inside it, or "" when the whole file is at fault.
        problem: what was expected and what was found, in plain words.
    """

    def __init__(self, source: str, key: str, problem: str):
        self.source, self.key, self.problem = str(source), key, problem
        where = f"{self.source}: {key}: " if key else f"{self.source}: "
        super().__init__(where + problem)
