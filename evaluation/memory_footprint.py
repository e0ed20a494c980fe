"""Peak memory of ``trialbot ask`` against the bare floor, each measured in a fresh Python process.

The floor process loads the packaged model, reads the index's chunk vectors into a flat FAISS index and
answers one question the bare way (encode + one search). The product process loads the retriever as
``trialbot ask`` does and answers the same question. Both report their peak resident set size
(``VmHWM``), so the ratio says what the product's extra parts (adapted model, BM25, sentence tables,
classifiers) cost in memory. ``python -m evaluation.memory_footprint floor|ask QUESTION`` is one child.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from trialbot.settings import REPO_ROOT, KnowledgeSettings

PROBE_QUESTION = "how is SHR-A1904 given?"


@dataclass(frozen=True)
class MemoryFootprint:
    """Peak resident memory (MiB) of the two processes and their ratio."""

    floor_mib: float
    ask_mib: float

    @property
    def ratio(self) -> float:
        return self.ask_mib / self.floor_mib


def _peak_mib(status: Path = Path("/proc/self/status")) -> float:
    """This process's peak resident set (``VmHWM``). Not ``ru_maxrss``: Linux carries that over from the parent
    across fork and exec, so a child of a large process would report the parent's peak."""
    for line in status.read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no VmHWM line in {status}")


def _floor_child(settings: KnowledgeSettings, question: str) -> float:
    import faiss

    from evaluation.naive_baseline import cosine_floor
    from knowledge.embedding import load_embedder
    from knowledge.index_store import CHUNK_VECTORS

    chunk_index = faiss.read_index(str(settings.index_dir / CHUNK_VECTORS))  # the chunk vectors and nothing else
    cosine_floor(load_embedder(settings.embedding_model), chunk_index, question)
    return _peak_mib()


def _ask_child(settings: KnowledgeSettings, question: str) -> float:
    from knowledge.retriever import Retriever

    Retriever.from_settings(settings).ask(question)
    return _peak_mib()


CHILDREN = {"floor": _floor_child, "ask": _ask_child}


def _run_child(kind: str, question: str) -> float:
    done = subprocess.run([sys.executable, "-m", "evaluation.memory_footprint", kind, question], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True, timeout=600)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["peak_mib"])


def measure_memory(question: str = PROBE_QUESTION) -> MemoryFootprint:
    """Run the floor and the product child processes one after the other (the index must exist)."""
    return MemoryFootprint(floor_mib=_run_child("floor", question), ask_mib=_run_child("ask", question))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in CHILDREN:
        print(f"usage: python -m evaluation.memory_footprint {{{'|'.join(CHILDREN)}}} QUESTION", file=sys.stderr)
        return 2
    peak = CHILDREN[argv[0]](KnowledgeSettings(), argv[1])
    print(json.dumps({"peak_mib": round(peak, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
