"""Build the index: collect documents → chunk → embed → write, skipping work when nothing changed."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.adaptation import AdaptationSettings, adapt_embedder
from knowledge.anticipated import load_entries, question_paths, resolve
from knowledge.chunking import Chunk, chunk_documents, section_heading, sentence_owners
from knowledge.documents import Document, content_hash, document_from_markdown, trial_document_paths
from knowledge.domain import domain_question_paths, train_domain_classifier, training_examples
from knowledge.embedding import Embedder, SentenceTransformerEmbedder, load_embedder
from knowledge.errors import KnowledgeError
from knowledge.index_store import AnticipatedVectors, IndexSpec, invalidate, needs_rebuild, write_index
from knowledge.search import embedding_text
from knowledge.section_classifier import train_section_classifier
from knowledge.sentence_classifier import train_sentence_classifier
from knowledge.synonyms import QueryExpander, load_synonyms
from trialbot.settings import REPO_ROOT, KnowledgeSettings

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What ``build_index`` did: ``rebuilt`` is False when the index was already current."""

    rebuilt: bool
    chunk_count: int
    document_count: int
    seconds: float
    skipped: list[str] = field(default_factory=list)


def _source_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path.resolve())


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)


def collect_documents(settings: KnowledgeSettings, extra_sources: Sequence[Path] = ()
                      ) -> tuple[list[Document], dict[str, str], list[str]]:
    """Documents, their source hashes, and ``name: reason`` lines for files that could not be read.

    ``extra_sources`` are files or directories (every file below a directory) read by
    ``knowledge.ingest.read_source``. A file is read once even if named twice; a file with the same
    bytes as one already read, and a file with no text to index, are reported and left out.
    """
    from knowledge.encoding_repair import MOJIBAKE_MAP_PATH
    from knowledge.ingest import expand_sources, has_text, read_source

    documents: list[Document] = []
    hashes: dict[str, str] = {}
    skipped: list[str] = []
    extras = expand_sources(Path(p) for p in extra_sources)
    candidates = [(path, False) for path in trial_document_paths(settings.docs_dir)]
    candidates += [(path, True) for path in extras]
    seen_paths: set[Path] = set()
    seen_content: dict[str, str] = {}
    for path, extra in candidates:
        name = _source_name(path)
        if path.resolve() in seen_paths:
            continue
        seen_paths.add(path.resolve())
        try:
            raw = path.read_bytes()
            digest = content_hash(raw)
            if digest in seen_content:
                skipped.append(f"{name}: same content as {seen_content[digest]}")
                continue
            found = read_source(path, raw, name) if extra else [document_from_markdown(raw.decode("utf-8"), name)]
        except (OSError, UnicodeDecodeError, KnowledgeError) as exc:
            skipped.append(f"{name}: {_reason(exc)}")
            continue
        found = [document for document in found if has_text(document)]
        if not found:
            skipped.append(f"{name}: no text to index")
            continue
        seen_content[digest] = name
        documents.extend(found)
        hashes[name] = digest
    if extras:  # a changed repair map changes what the extra sources read as
        hashes[_source_name(MOJIBAKE_MAP_PATH)] = content_hash(MOJIBAKE_MAP_PATH.read_bytes())
    return documents, hashes, skipped


def _in_context(chunks: list[Chunk]) -> list[str]:
    """Every sentence after its section heading, in sentence-row order."""
    return [f"{section_heading(c)} {s}" for c in chunks for s in c.sentences]


def _sentence_and_heading_vectors(chunks: list[Chunk], embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence: the mean of its own embedding and its embedding after its section heading (a sentence
    alone often lacks the subject its heading names). Per chunk: its heading's embedding."""
    if not chunks:
        return np.zeros((0, embedder.dimension)), np.zeros((0, embedder.dimension))
    headings = [section_heading(c) for c in chunks]
    sentences = [s for c in chunks for s in c.sentences]
    vectors = embedder.encode(sentences + _in_context(chunks) + list(dict.fromkeys(headings)))
    plain, context = vectors[:len(sentences)], vectors[len(sentences):2 * len(sentences)]
    unique = dict(zip(dict.fromkeys(headings), vectors[2 * len(sentences):], strict=True))
    return (plain + context) / 2, np.stack([unique[h] for h in headings])


def _anticipated_pairs(settings: KnowledgeSettings, chunks: list[Chunk]) -> list[tuple[str, int]]:
    """(anticipated question, the sentence row answering it). An entry that does not resolve to one sentence
    is logged and left out (the shipped files are checked by tests)."""
    pairs, problems = resolve(load_entries(question_paths(settings.docs_dir)), chunks)
    for problem in problems:
        log.warning("anticipated question left out: %s", problem)
    return pairs


def _anticipated_vectors(pairs: list[tuple[str, int]], chunks: list[Chunk], embedder: Embedder,
                         encode_as_question: Callable[[str], str]) -> AnticipatedVectors:
    """The anticipated questions, embedded as questions are, with the sentence row answering each, and the
    section and sentence classifiers trained on them."""
    if not pairs:
        return AnticipatedVectors(np.zeros((0, embedder.dimension)), np.zeros(0, dtype=np.int64))
    vectors = embedder.encode([encode_as_question(question) for question, _ in pairs])
    rows = np.array([row for _, row in pairs], dtype=np.int64)
    answer_chunks = sentence_owners(chunks)[rows]
    return AnticipatedVectors(vectors, rows, train_section_classifier(vectors, answer_chunks, chunks),
                              train_sentence_classifier(vectors, rows))


def build_index(settings: KnowledgeSettings, extra_sources: Sequence[Path] = (), force: bool = False,
                embedder_factory: Callable[[str], Embedder] = load_embedder) -> BuildReport:
    """Build the index if its sources or settings changed (or ``force``); return what happened."""
    started = time.perf_counter()
    documents, hashes, skipped = collect_documents(settings, extra_sources)
    in_domain_files = domain_question_paths(settings.docs_dir)
    for path in [*in_domain_files, *question_paths(settings.docs_dir), settings.out_of_domain_path,
                 settings.synonyms_path]:
        if path.exists():
            hashes[_source_name(path)] = content_hash(path.read_bytes())
    adaptation = AdaptationSettings(settings.adaptation_epochs, settings.adaptation_learning_rate)
    spec = IndexSpec(settings.embedding_model, settings.chunk_max_chars, hashes,
                     dataclasses.asdict(adaptation) if adaptation.epochs > 0 else None)
    if not force and not needs_rebuild(settings.index_dir, spec):
        return BuildReport(False, -1, len(documents), time.perf_counter() - started, skipped)
    chunks = chunk_documents(documents, settings.chunk_max_chars)
    embedder = embedder_factory(settings.embedding_model)
    brief = QueryExpander(load_synonyms(settings.synonyms_path)).expand_brief  # as questions are encoded
    pairs = _anticipated_pairs(settings, chunks)
    save_to = invalidate(settings.index_dir)
    adapted = spec.adaptation is not None and bool(pairs) and isinstance(embedder, SentenceTransformerEmbedder)
    if adapted:
        answers = _in_context(chunks)
        embedder = adapt_embedder(embedder, [(brief(question), answers[row]) for question, row in pairs],
                                  adaptation, save_to)
    chunk_vectors = embedder.encode([embedding_text(c) for c in chunks]) if chunks else np.zeros((0, 0))
    sentence_vectors, heading_vectors = _sentence_and_heading_vectors(chunks, embedder)
    anticipated = _anticipated_vectors(pairs, chunks, embedder, brief)
    texts, labels = training_examples(documents, in_domain_files, settings.out_of_domain_path)
    domain = None
    if texts:  # the anticipated questions are in-domain questions too
        domain_vectors = embedder.encode([brief(t) for t in texts])
        if len(anticipated.rows):
            domain_vectors = np.vstack([domain_vectors, anticipated.vectors])
        domain = train_domain_classifier(domain_vectors, labels + [1] * len(anticipated.rows))
    write_index(settings.index_dir, spec, chunks, chunk_vectors, sentence_vectors, domain, heading_vectors,
                anticipated, adapted)
    log.info("index built: %d documents, %d chunks", len(documents), len(chunks))
    return BuildReport(True, len(chunks), len(documents), time.perf_counter() - started, skipped)
