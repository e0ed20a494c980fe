"""Answer selection: the shown sentences come from one section, around its most relevant sentence, within
the length limits; sentence relevance weighs rare terms more; the hybrid re-ranking uses every signal."""

from pathlib import Path

import pytest
from textembedder import HashingEmbedder

from knowledge.build import build_index
from knowledge.retriever import Retriever
from trialbot.settings import KnowledgeSettings

pytestmark = pytest.mark.unit

DOC = """---
trial_id: NCT00000002
title: "Demo trial"
section: "Demo"
version: "1"
---
# Demo trial

## How is the drug given?

The drug is given as an infusion into a vein.
Each infusion takes about one hour.
The infusion is repeated every three weeks.
Nurses watch patients closely during each infusion.
Patients can usually go home on the same day.

## Who can join?

Adults aged 18 to 75 years can join.
Patients must have had platinum chemotherapy before.
Patients need good kidney function.

## Which tests are needed?

- A scan of the chest.
- A blood count.
- A kidney test.
- A heart ultrasound.
- A urine test.

## Which liver results are needed?

Liver results are checked at screening.
Liver tests must meet four limits:
- ALT must be below three times the upper limit.
- AST must be below three times the upper limit.
- Bilirubin must be below one and a half times the upper limit.
- Albumin must be at least thirty grams per litre.

A doctor explains the results.
Results older than two weeks are repeated.
"""


@pytest.fixture(scope="module")
def selection_settings(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeSettings:
    root: Path = tmp_path_factory.mktemp("selection")
    docs = root / "trials" / "NCT00000002" / "docs"
    docs.mkdir(parents=True)
    (docs / "01-demo.md").write_text(DOC)
    settings = KnowledgeSettings(docs_dir=root / "trials", index_dir=root / "index", chunk_max_chars=90)
    build_index(settings, embedder_factory=lambda _name: HashingEmbedder())
    return settings


@pytest.fixture(scope="module")
def retriever(selection_settings: KnowledgeSettings) -> Retriever:
    return Retriever.from_settings(selection_settings, embedder=HashingEmbedder(), thresholds=(-1.0, 0.0))


def body(answer_text: str) -> str:
    return answer_text.split("\n", 1)[0]


def test_the_answer_is_the_best_sentence_with_its_neighbours_in_one_section(retriever: Retriever):
    answer = retriever.ask("how long does each infusion take, about one hour?")
    shown = body(answer.answer)
    assert "Each infusion takes about one hour." in shown
    assert "Adults" not in shown  # never crosses a heading
    assert 1 <= shown.count(".") <= 3 and len(shown) <= 400
    assert answer.citations[0].section.endswith("How is the drug given?")


def test_a_window_may_cross_a_chunk_boundary_inside_a_section(retriever: Retriever):
    # chunk_max_chars=90 puts nearly every sentence of the first section in a chunk of its own
    assert len({c.chunk_id for c in retriever.index.chunks if c.section.endswith("drug given?")}) >= 3
    shown = body(retriever.ask("can patients usually go home on the same day?").answer)
    assert "Patients can usually go home on the same day." in shown
    assert shown.count(".") >= 2  # neighbours from the other chunks of the section came along


def test_list_questions_may_show_a_longer_list(retriever: Retriever):
    shown = body(retriever.ask("which tests are needed? list all tests").answer)
    assert all(item in shown for item in ("scan of the chest", "blood count", "kidney test", "heart ultrasound"))


def test_a_bullet_list_is_shown_whole_with_its_introducing_sentence(retriever: Retriever):
    shown = body(retriever.ask("how much albumin, at least thirty grams per litre?").answer)
    assert "Albumin must be at least thirty grams per litre." in shown  # a window of three would stop there
    assert "Liver tests must meet four limits:" in shown and "ALT must be below three times" in shown


def test_whole_list_finds_the_items_and_their_lead(retriever: Retriever):
    table = retriever.searcher.sentences
    lead, albumin = table.texts.index("Liver tests must meet four limits:"), table.texts.index(
        "Albumin must be at least thirty grams per litre.")
    assert table.whole_list(albumin) == table.whole_list(lead) == range(lead, albumin + 1)
    assert table.whole_list(table.texts.index("Results older than two weeks are repeated.")) is None
    first_test = table.texts.index("A scan of the chest.")  # a list right under its heading has no lead
    assert table.whole_list(first_test) == range(first_test, first_test + 5)


def test_rare_terms_weigh_more_in_sentence_relevance(retriever: Retriever):
    searcher = retriever.searcher
    overlap = searcher.sentences.overlap(searcher.lexical.query_terms("infusion hour"))
    texts = searcher.sentences.texts
    assert overlap[texts.index("Each infusion takes about one hour.")] == pytest.approx(1.0)
    # "infusion" is in many sentences, "hour" in one: the infusion-only sentence keeps the lesser share
    assert 0 < overlap[texts.index("The infusion is repeated every three weeks.")] < 0.5
    assert overlap[texts.index("Adults aged 18 to 75 years can join.")] == 0


def test_hybrid_ranking_returns_relevance_for_every_sentence_and_chunk(retriever: Retriever):
    result = retriever.searcher.query("who can join: adults aged 18 to 75?", top_k=3)
    assert result.hits[0].chunk.section.endswith("Who can join?")
    assert len(result.sentence_scores) == len(retriever.searcher.sentences.texts)
    assert len(result.chunk_scores) == len(retriever.index.chunks)
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    dense_only = retriever.searcher.query("who can join: adults aged 18 to 75?", top_k=3, mode="dense")
    assert dense_only.hits and dense_only.hits[0].score > 0




def test_loading_a_retriever_limits_the_blas_thread_pools(selection_settings: KnowledgeSettings):
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> set[int]:
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == {2}
        Retriever.from_settings(selection_settings, embedder=HashingEmbedder(), thresholds=(-1.0, 0.0))
        assert blas_threads() == {1}  # the settings' default; torch keeps the cores while it encodes
