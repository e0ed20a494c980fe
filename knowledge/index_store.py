"""The on-disk index: FAISS vectors for chunks, vectors for sentences and section headings, the chunks,
and a manifest.

The index is a pure function of the documents and the settings. The manifest records the model,
dimension, chunk count, the hash of each source and of each written file, so ``needs_rebuild`` can
skip work and ``load_index`` can refuse a corrupt or mismatched index with a clear message.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge.chunking import Chunk, sentence_owners
from knowledge.documents import content_hash
from knowledge.domain import DomainClassifier
from knowledge.errors import (
    REBUILD_HINT,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    KnowledgeError,
)
from knowledge.section_classifier import SectionClassifier
from knowledge.sentence_classifier import SentenceClassifier

FORMAT_VERSION = 6
MANIFEST = "manifest.json"
CHUNK_VECTORS = "chunks.faiss"
SENTENCE_VECTORS = "sentences.npy"
HEADING_VECTORS = "headings.npy"
CHUNKS = "chunks.jsonl"
DOMAIN = "domain.npz"
ANTICIPATED = "anticipated.npz"
SECTIONS = "sections.npz"
SENTENCE_CLASSES = "sentence_classes.npz"
ADAPTED_MODEL = "adapted-model"  # directory: the embedding model fine-tuned for these documents, if any
DATA_FILES = (CHUNK_VECTORS, SENTENCE_VECTORS, HEADING_VECTORS, CHUNKS, ANTICIPATED)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexSpec:
    """What an index is built from: the model, chunking settings and the hash of every source."""

    model: str
    chunk_max_chars: int
    sources: dict[str, str]

    adaptation: dict | None = None  # the fine-tuning asked for (``knowledge.adaptation``); None: none

    def key(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "model": self.model,
            "chunk_max_chars": self.chunk_max_chars,
            "sources": dict(sorted(self.sources.items())),
            "adaptation": self.adaptation,
        }


@dataclass
class LoadedIndex:
    """An index in memory. ``sentence_vectors`` rows follow chunks' sentences in order; each is the mean of
    the sentence's own embedding and its embedding after its section heading (so "The trial is for adults…"
    also carries "Who is the trial for?"). ``heading_vectors`` has one row per chunk: its section heading.
    ``anticipated_vectors`` are the anticipated questions (``knowledge.anticipated``), each answered by the
    sentence row at the same place in ``anticipated_rows``."""

    manifest: dict
    chunks: list[Chunk]
    chunk_index: faiss.Index
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray  # chunk position of each sentence row
    sentence_offsets: np.ndarray  # first sentence row of each chunk
    domain: DomainClassifier | None = None
    heading_vectors: np.ndarray | None = None
    anticipated_vectors: np.ndarray | None = None
    anticipated_rows: np.ndarray | None = None
    sections: SectionClassifier | None = None
    adapted_model: Path | None = None  # the fine-tuned model to encode questions with (None: the packaged one)
    sentence_classifier: SentenceClassifier | None = None


@dataclass(frozen=True)
class AnticipatedVectors:
    """Embedded anticipated questions, the sentence row that answers each, and the section and sentence
    classifiers trained on them (None without enough of them)."""

    vectors: np.ndarray
    rows: np.ndarray
    sections: SectionClassifier | None = None
    sentences: SentenceClassifier | None = None


def read_manifest(index_dir: Path) -> dict:
    """The manifest as a dict; raises IndexMissingError / IndexCorruptError."""
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexMissingError(f"No index at {index_dir}. {REBUILD_HINT}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is unreadable. {REBUILD_HINT}") from exc
    if not isinstance(manifest, dict) or "spec" not in manifest or "files" not in manifest:
        raise IndexCorruptError(f"The index manifest {path} is incomplete. {REBUILD_HINT}")
    return manifest


def needs_rebuild(index_dir: Path, spec: IndexSpec) -> bool:
    """True when no valid index exists for exactly this spec."""
    try:
        manifest = read_manifest(index_dir)
        _verify_files(index_dir, manifest)
    except KnowledgeError:
        return True
    return manifest["spec"] != spec.key()


def invalidate(index_dir: Path) -> Path:
    """Mark the index as being rewritten (no valid index until ``write_index`` finishes); returns where an
    adapted model is to be saved."""
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(index_dir / ADAPTED_MODEL, ignore_errors=True)
    return index_dir / ADAPTED_MODEL


def write_index(
    index_dir: Path, spec: IndexSpec, chunks: list[Chunk], chunk_vectors: np.ndarray, sentence_vectors: np.ndarray,
    domain: DomainClassifier | None = None, heading_vectors: np.ndarray | None = None,
    anticipated: AnticipatedVectors | None = None, adapted: bool = False,
) -> dict:
    """Write all index files, then the manifest last (so a crash leaves no valid-looking index). An adapted
    model saved in the index directory after ``invalidate`` (which removes an older one) is recorded when
    ``adapted``."""
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / MANIFEST).unlink(missing_ok=True)
    adapted_dir = index_dir / ADAPTED_MODEL
    dimension = int(chunk_vectors.shape[1]) if len(chunks) else int(sentence_vectors.shape[-1] or 0)
    flat = faiss.IndexFlatIP(dimension)
    if len(chunks):
        flat.add(np.ascontiguousarray(chunk_vectors, dtype=np.float32))
    faiss.write_index(flat, str(index_dir / CHUNK_VECTORS))
    np.save(index_dir / SENTENCE_VECTORS, np.ascontiguousarray(sentence_vectors, dtype=np.float32))
    if heading_vectors is None:
        heading_vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    np.save(index_dir / HEADING_VECTORS, np.ascontiguousarray(heading_vectors, dtype=np.float32))
    if anticipated is None:
        anticipated = AnticipatedVectors(np.zeros((0, dimension)), np.zeros(0))
    np.savez(index_dir / ANTICIPATED, vectors=np.ascontiguousarray(anticipated.vectors, dtype=np.float32),
             rows=np.asarray(anticipated.rows, dtype=np.int64))
    with (index_dir / CHUNKS).open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    files = list(DATA_FILES)
    (index_dir / DOMAIN).unlink(missing_ok=True)
    if domain is not None:
        domain.save(index_dir / DOMAIN)
        files.append(DOMAIN)
    (index_dir / SECTIONS).unlink(missing_ok=True)
    if anticipated.sections is not None:
        anticipated.sections.save(index_dir / SECTIONS)
        files.append(SECTIONS)
    (index_dir / SENTENCE_CLASSES).unlink(missing_ok=True)
    if anticipated.sentences is not None:
        anticipated.sentences.save(index_dir / SENTENCE_CLASSES)
        files.append(SENTENCE_CLASSES)
    if adapted:
        if not adapted_dir.is_dir():
            raise KnowledgeError(f"The adapted model is missing in {index_dir}. {REBUILD_HINT}")
        files += sorted(str(path.relative_to(index_dir)) for path in adapted_dir.rglob("*") if path.is_file())
    manifest = {
        "spec": spec.key(),
        "model": spec.model,
        "dimension": dimension,
        "chunk_count": len(chunks),
        "sentence_count": int(sentence_vectors.shape[0]),
        "anticipated_questions": int(len(anticipated.rows)),
        "adapted_model": ADAPTED_MODEL if adapted else None,
        "trials": sorted({chunk.trial_id for chunk in chunks}),
        "files": {name: content_hash((index_dir / name).read_bytes()) for name in files},
    }
    (index_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


@functools.lru_cache(maxsize=64)
def _remembered_digest(path: str, inode: int, modified_ns: int, size: int) -> str:
    """A file's content hash, remembered while the file is the same (inode, modification time, size)."""
    return content_hash(Path(path).read_bytes())


def _file_digest(index_dir: Path, name: str) -> str:
    """The content hash of an index file. The adapted model's files (87 MB, written anew by every build, never
    rewritten in place) are hashed once per process and version, not at every health check."""
    path = index_dir / name
    if not name.startswith(f"{ADAPTED_MODEL}/"):
        return content_hash(path.read_bytes())
    status = path.stat()
    return _remembered_digest(str(path), status.st_ino, status.st_mtime_ns, status.st_size)


def _verify_files(index_dir: Path, manifest: dict) -> None:
    for name in sorted(set(DATA_FILES) | set(manifest["files"])):
        path = index_dir / name
        if not path.exists():
            raise IndexCorruptError(f"Index file {name} is missing in {index_dir}. {REBUILD_HINT}")
        if _file_digest(index_dir, name) != manifest["files"].get(name):
            raise IndexCorruptError(f"Index file {name} does not match its manifest. {REBUILD_HINT}")


def load_index(index_dir: Path, expected_model: str | None = None) -> LoadedIndex:
    """Load and verify an index; every failure is a KnowledgeError that says to rebuild."""
    manifest = read_manifest(index_dir)
    _verify_files(index_dir, manifest)
    if expected_model is not None and manifest.get("model") != expected_model:
        raise IndexMismatchError(
            f"The index was built with model {manifest.get('model')!r}, not {expected_model!r}. {REBUILD_HINT}"
        )
    try:
        chunk_index = faiss.read_index(str(index_dir / CHUNK_VECTORS))
        sentence_vectors = np.load(index_dir / SENTENCE_VECTORS, allow_pickle=False)
        heading_vectors = np.load(index_dir / HEADING_VECTORS, allow_pickle=False)
        with np.load(index_dir / ANTICIPATED, allow_pickle=False) as stored:
            anticipated_vectors, anticipated_rows = stored["vectors"], stored["rows"]
        lines = (index_dir / CHUNKS).read_text(encoding="utf-8").splitlines()
        chunks = [Chunk.from_dict(json.loads(line)) for line in lines if line.strip()]
        domain = DomainClassifier.load(index_dir / DOMAIN) if DOMAIN in manifest["files"] else None
        sections = SectionClassifier.load(index_dir / SECTIONS) if SECTIONS in manifest["files"] else None
        sentence_classifier = (SentenceClassifier.load(index_dir / SENTENCE_CLASSES)
                               if SENTENCE_CLASSES in manifest["files"] else None)
    except (RuntimeError, ValueError, OSError, TypeError, KeyError, zipfile.BadZipFile) as exc:
        raise IndexCorruptError(f"The index in {index_dir} cannot be read. {REBUILD_HINT}") from exc
    counts = [len(c.sentences) for c in chunks]
    if (
        len(chunks) != manifest.get("chunk_count")
        or chunk_index.ntotal != len(chunks)
        or sentence_vectors.shape[0] != sum(counts)
        or heading_vectors.shape[0] != len(chunks)
        or anticipated_vectors.shape[0] != anticipated_rows.shape[0]
        or (sections is not None and (sections.chunk_classes.shape[0] != len(chunks)
                                      or not _softmax_shapes_agree(sections.weights, sections.bias,
                                                                   int(sections.chunk_classes.max()) + 1,
                                                                   sentence_vectors.shape[1])))
        or (sentence_classifier is not None and (sentence_classifier.rows.min() < 0
                                                 or sentence_classifier.rows.max() >= sum(counts)
                                                 or not _softmax_shapes_agree(
                                                     sentence_classifier.weights, sentence_classifier.bias,
                                                     len(sentence_classifier.rows), sentence_vectors.shape[1])))
        or (len(anticipated_rows) and (anticipated_rows.min() < 0 or anticipated_rows.max() >= sum(counts)))
        or (len(chunks) and chunk_index.d != manifest.get("dimension"))
    ):
        raise IndexCorruptError(f"The index files in {index_dir} disagree with each other. {REBUILD_HINT}")
    owner = sentence_owners(chunks)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if chunks else owner
    if not chunks:
        log.warning("The index in %s holds no chunks", index_dir)
    adapted = index_dir / manifest["adapted_model"] if manifest.get("adapted_model") else None
    return LoadedIndex(manifest, chunks, chunk_index, sentence_vectors, owner, offsets, domain, heading_vectors,
                       anticipated_vectors, anticipated_rows, sections, adapted, sentence_classifier)


def _softmax_shapes_agree(weights: np.ndarray, bias: np.ndarray, classes: int, dimension: int) -> bool:
    """A classifier's weights and bias have at least ``classes`` rows (one per class) over ``dimension``."""
    return weights.shape == (bias.shape[0], dimension) and bias.shape[0] >= classes


def check_index(index_dir: Path) -> tuple[bool, str]:
    """Cheap health check (no model load): (ok, a short human-readable detail)."""
    try:
        manifest = read_manifest(index_dir)
        _verify_files(index_dir, manifest)
    except KnowledgeError as exc:
        return False, str(exc)
    return True, f"{manifest['chunk_count']} chunks, model {manifest['model']}"
