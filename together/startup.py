"""Start-up guard: a bad configuration ends the process with one clear line."""

import contextlib
import sys
from collections.abc import Iterator

from django.core.exceptions import ImproperlyConfigured


@contextlib.contextmanager
def exit_on_bad_configuration(exit_code: int = 2) -> Iterator[None]:
    """Turn an ImproperlyConfigured raised while starting into one line on stderr and exit.

    Operators reading a container log need the reason, not a traceback wall.
    """
    try:
        yield
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Together cannot start: {error}\n")
        sys.exit(exit_code)
