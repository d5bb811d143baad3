"""The errors a user can cause and fix; the CLI and the app show their message, not a traceback.

A leaf module: it imports nothing from ffa_lab (and nothing heavy), so any layer may raise these and
``import ffa_lab.errors`` pulls in neither torch nor cv2. Each module that raises one re-exports it.
"""

from __future__ import annotations

from pathlib import Path


class CelebAFormatError(ValueError):
    """A CelebA file is malformed or inconsistent; the message names file, line and problem."""

    def __init__(self, path: Path | str, line: int | None, problem: str):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")
        self.path, self.line, self.problem = str(path), line, problem


class CheckpointError(ValueError):
    """A checkpoint file is unusable; the message names the file and the problem."""


class ImageDecodeError(ValueError):
    """The input is not a usable image; ``str(err)`` is a message fit for users."""


class ResultsError(ValueError):
    """A results folder is missing, incomplete, malformed or from another run; the message says which."""


class AlignmentError(ValueError):
    """Alignment cannot proceed (bad argument or unusable image); the message is for users."""


class NoFaceError(AlignmentError):
    """No face was found in the image."""


class YuNetModelError(ValueError):
    """The YuNet model is missing, unreadable, unverified or could not be fetched (a user-fixable problem)."""


class PortraitUnavailableError(ValueError):
    """The package that ships a portrait is not installed."""


class UsageError(ValueError):
    """A bad argument combination or value that argparse cannot catch."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    CelebAFormatError,
    CheckpointError,
    ImageDecodeError,
    ResultsError,
    UsageError,
    AlignmentError,  # includes NoFaceError
    YuNetModelError,
    PortraitUnavailableError,
    FileNotFoundError,
)
