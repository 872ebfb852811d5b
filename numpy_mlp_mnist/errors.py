"""The one error a user can act on: a UserError's message is the whole report."""


class UserError(Exception):
    """A failure the user can act on: a bad value, file, image, address or server. Its
    message is the whole report, naming the culprit and what would be accepted: no traceback."""
