"""Domain adaptation of the packaged embedding model at index time.

The model is fine-tuned briefly on the anticipated questions (``knowledge.anticipated``), each paired with the
sentence that answers it as the index embeds it (after its section heading), using sentence-transformers'
``MultipleNegativesRankingLoss``: the other answers in a batch are the negatives, so a batch never holds two
questions with the same answer. Patients' wording then lands nearer the sentence that answers it. The same
inputs and settings give the same model (fixed seed); the weights are saved inside the index directory and
loaded from there at query time, so nothing is downloaded.
"""

from __future__ import annotations

import copy
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.embedding import SentenceTransformerEmbedder

log = logging.getLogger(__name__)
PROGRESS_EVERY = 20  # batches between progress lines (a batch takes a few seconds on two cores)


@dataclass(frozen=True)
class AdaptationSettings:
    """How long and how hard to fine-tune (0 epochs: no adaptation)."""

    epochs: int = 1
    learning_rate: float = 3e-5
    batch_size: int = 32
    seed: int = 0


def distinct_answer_batches(pairs: Sequence[tuple[str, str]], batch_size: int, rng: random.Random
                            ) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no answer appears twice (it would count as its own negative). Each batch takes
    from the answers with the most pairs left, so few pairs are left without a partner; a batch of one (only
    when a single answer has pairs left) is dropped."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for pair in pairs:
        groups.setdefault(pair[1], []).append(pair)
    for group in groups.values():
        rng.shuffle(group)
    batches: list[list[tuple[str, str]]] = []
    while groups:
        ties = {answer: rng.random() for answer in groups}
        chosen = sorted(groups, key=lambda answer: (-len(groups[answer]), ties[answer]))[:batch_size]
        batches.append([groups[answer].pop() for answer in chosen])
        groups = {answer: group for answer, group in groups.items() if group}
    rng.shuffle(batches)
    return [batch for batch in batches if len(batch) > 1]


def adapt_embedder(embedder: SentenceTransformerEmbedder, pairs: Sequence[tuple[str, str]],
                   settings: AdaptationSettings, save_to: Path) -> SentenceTransformerEmbedder:
    """A copy of ``embedder`` fine-tuned on (question, answer text) pairs, saved to ``save_to`` (the given
    embedder is left as it was)."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    model = copy.deepcopy(embedder.model)
    model.train()  # type: ignore[attr-defined]
    loss_function = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)  # type: ignore[attr-defined]
    epochs = [distinct_answer_batches(pairs, settings.batch_size, rng) for _ in range(settings.epochs)]
    total_steps = max(1, sum(len(batches) for batches in epochs))
    warmup = max(1, total_steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1.0 - step / total_steps))
    log.info("fine-tuning the embedding model on %d questions: %d batches", len(pairs), total_steps)
    done = 0
    for epoch, batches in enumerate(epochs, start=1):
        running = 0.0
        for batch in batches:
            features = [model.preprocess([question for question, _ in batch]),  # type: ignore[attr-defined]
                        model.preprocess([answer for _, answer in batch])]  # type: ignore[attr-defined]
            loss = loss_function(features, None)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            running += float(loss.item())
            done += 1
            if done % PROGRESS_EVERY == 0:
                log.info("fine-tuning: %d of %d batches done", done, total_steps)
        log.info("adaptation epoch %d of %d: mean loss %.4f over %d batches", epoch, settings.epochs,
                 running / max(1, len(batches)), len(batches))
    model.eval()  # type: ignore[attr-defined]
    save_to.mkdir(parents=True, exist_ok=True)
    model.save(str(save_to))  # type: ignore[attr-defined]
    return SentenceTransformerEmbedder(embedder.name, model, embedder.dimension)
