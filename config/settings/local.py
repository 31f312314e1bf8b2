"""The embedded default: SQLite in the project folder, mail to files, plain http on loopback."""

from .base import *  # noqa: F403
