"""What a starting server runs in a child process to bring its index up to date with the corpus:
`python -m newscorpus.index.refresh CORPUS INDEX`.

`ensure_index` with its start-up checks (the corpus fingerprint from the files' stat data, the build's
checksums trusted while its files are unchanged), unlike `newscorpus index`, which reads and hashes every
file. Messages go to stderr, like every build's.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from newscorpus.config import Settings
from newscorpus.index.build import BuildError, ensure_index


def _progress(message: str) -> None:
    print(f"newscorpus: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    corpus, index = argv if argv is not None else sys.argv[1:]
    if hasattr(os, "nice"):
        os.nice(10)  # the server answers calls meanwhile: it goes first
    try:
        ensure_index(Settings.resolve(corpus=Path(corpus), index=Path(index)), progress=_progress)
    except BuildError as exc:
        _progress(str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
