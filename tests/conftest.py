"""Shared fixtures: the real knowledge index and model (loaded once), and the real running stack."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from trialbot.settings import KnowledgeSettings
from trialbot.stack import Stack, StackError, running_stack

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "cases"))

from pgserver import PostgresMissing, PostgresServer, running_postgres  # noqa: E402


@pytest.fixture(scope="session")
def knowledge_settings() -> KnowledgeSettings:
    return KnowledgeSettings()


@pytest.fixture(scope="session")
def embedder(knowledge_settings: KnowledgeSettings):
    from knowledge.embedding import load_embedder

    return load_embedder(knowledge_settings.embedding_model)


@pytest.fixture(scope="session")
def retriever(knowledge_settings: KnowledgeSettings, embedder):
    """The project's real retriever over the built index (``make test`` builds it first)."""
    from knowledge.build import build_index
    from knowledge.retriever import Retriever

    build_index(knowledge_settings, embedder_factory=lambda _name: embedder)
    return Retriever.from_settings(knowledge_settings)  # with the index's own (adapted) model


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throw-away PostgreSQL server from Debian's package, one per test session (never skipped)."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    try:
        with running_stack(tmp_path_factory.mktemp("stack-logs")) as running:
            yield running
    except StackError as exc:
        pytest.fail(str(exc))
