"""Entry point of the newscorpus MCP Bundle: Claude Desktop runs `python server/main.py` from the unpacked bundle.

The bundle carries its Python packages in `server/lib` and the sample corpus in `corpus/`; a corpus folder
chosen in Claude Desktop's settings for the extension arrives as NEWSCORPUS_CORPUS and wins.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "lib"))

from newscorpus.cli import main  # noqa: E402  (needs the bundled lib on sys.path first)

if __name__ == "__main__":
    corpus = os.environ.get("NEWSCORPUS_CORPUS") or str(HERE.parent / "corpus")
    sys.exit(main(["serve", "--corpus", corpus]))
