"""``trialbot eval retrieval``: gold-set and out-of-scope evaluation of the answer pipeline, with
baselines in the same run (dense only, BM25 only, naive fixed chunks), refusal calibration, latency
against the bare floor, and a Markdown report with a plot."""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.calibration import Thresholds, apply, choose_thresholds, write_calibration
from evaluation.datasets import GOLD_PATH, HOLDOUT_PATH, OUT_OF_SCOPE_PATH, GoldQuestion, load_gold, load_out_of_scope
from evaluation.judged_facts import JudgedFacts, judge_outputs, load_judgments, write_to_judge
from evaluation.memory_footprint import measure_memory
from evaluation.naive_baseline import NaiveBaseline, cosine_floor
from evaluation.retrieval_metrics import SystemOutput, holds_facts, summarize
from knowledge.build import build_index, collect_documents
from knowledge.embedding import Embedder, load_embedder
from knowledge.retriever import Retriever
from trialbot.settings import REPO_ROOT, KnowledgeSettings

REPORT_DIR = REPO_ROOT / "evaluation" / "reports"
TARGET_DECLINED = 0.97  # calibrate with a margin above the 0.95 product target
WARM_UP_QUESTIONS = 10


@dataclass
class SystemRun:
    name: str
    gold: list[SystemOutput]
    oos: list[SystemOutput]


def _body(answer_text: str) -> str:
    return answer_text.split("\n", 1)[0]


def _run_retriever(retriever: Retriever, questions: list[str], mode: str) -> list[SystemOutput]:
    outputs = []
    for question in questions:
        result = retriever.searcher.query(question, 5, mode)  # type: ignore[arg-type]
        answer = retriever.ask(question, mode=mode)  # type: ignore[arg-type]
        ranked = [(hit.chunk.source, hit.chunk.section) for hit in result.hits]
        outputs.append(SystemOutput(ranked, answer.answer, _body(answer.answer), answer.confident,
                                    answer.confidence, answer.domain))
    return outputs


def _section_texts(retriever: Retriever) -> dict[tuple[str, str], str]:
    texts: dict[tuple[str, str], str] = {}
    for chunk in retriever.index.chunks:
        key = (chunk.source, chunk.section)
        texts[key] = f"{texts.get(key, '')} {chunk.text}".strip()
    return texts


def _thresholded(run: SystemRun, golds: list[GoldQuestion], thresholds: Thresholds) -> SystemRun:
    def gate(outputs: list[SystemOutput]) -> list[SystemOutput]:
        answered = apply(thresholds, np.array([o.confidence for o in outputs]), np.array([o.domain for o in outputs]))
        return [SystemOutput(o.ranked, o.answer, o.body, bool(a), o.confidence, o.domain)
                for o, a in zip(outputs, answered, strict=True)]
    return SystemRun(run.name, gate(run.gold), gate(run.oos))


def _calibrate(run: SystemRun, golds: list[GoldQuestion], gold_idx: list[int], oos_idx: list[int],
               target: float) -> Thresholds:
    return choose_thresholds(
        [run.gold[i].confidence for i in gold_idx], [run.gold[i].domain for i in gold_idx],
        [holds_facts(golds[i], run.gold[i].body) for i in gold_idx],
        [run.oos[i].confidence for i in oos_idx], [run.oos[i].domain for i in oos_idx], target,
    )


def _cross_validated(run: SystemRun, golds: list[GoldQuestion], target: float) -> dict[str, float]:
    """Two-fold check of over-fitting: thresholds set on one half, measured on the other."""
    folds = []
    for fold in (0, 1):
        g_fit = [i for i in range(len(golds)) if i % 2 == fold]
        o_fit = [i for i in range(len(run.oos)) if i % 2 == fold]
        g_test = [i for i in range(len(golds)) if i % 2 != fold]
        o_test = [i for i in range(len(run.oos)) if i % 2 != fold]
        gated = _thresholded(run, golds, _calibrate(run, golds, g_fit, o_fit, target))
        folds.append(summarize([golds[i] for i in g_test], [gated.gold[i] for i in g_test],
                               [gated.oos[i] for i in o_test]))
    return {key: statistics.mean(f[key] for f in folds) for key in ("answered", "facts", "oos_declined")}


def _latency(retriever: Retriever, packaged: Embedder, questions: list[str]) -> dict[str, float]:
    """Median seconds of ``ask`` and of the bare floor (the packaged model encodes the question, then one flat
    FAISS search), interleaved, after both have answered a few questions untimed."""
    index = retriever.index.chunk_index
    for question in questions[:WARM_UP_QUESTIONS]:  # first calls of a fresh retriever fill caches and allocators
        cosine_floor(packaged, index, question)
        retriever.ask(question)
    ask_times, floor_times = [], []
    for question in questions:
        started = time.perf_counter()
        cosine_floor(packaged, index, question)
        floor_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        retriever.ask(question)
        ask_times.append(time.perf_counter() - started)
    ask, floor = statistics.median(ask_times), statistics.median(floor_times)
    return {"ask_ms": ask * 1000, "floor_ms": floor * 1000, "ratio": ask / floor, "n": len(questions)}


def _plot(rows: dict[str, dict[str, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["recall@3", "facts", "answered", "oos_declined"]
    fig, axis = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(rows)
    for offset, (name, values) in enumerate(rows.items()):
        positions = [i + offset * width for i in range(len(metrics))]
        axis.bar(positions, [values[m] for m in metrics], width, label=name)
    axis.set_xticks([i + 0.4 - width / 2 for i in range(len(metrics))], metrics)
    axis.set_ylim(0, 1.05)
    axis.axhline(0.95, color="grey", linestyle="--", linewidth=0.8)
    axis.set_title("Answer quality: gold questions and out-of-scope refusals")
    axis.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate(settings: KnowledgeSettings, calibrate: bool) -> dict:
    """Run every system, calibrate (optionally writing the thresholds), and return the figures."""
    golds = load_gold(GOLD_PATH)
    oos = load_out_of_scope(OUT_OF_SCOPE_PATH)
    embedder = load_embedder(settings.embedding_model)
    build_index(settings, embedder_factory=lambda _name: embedder)
    retriever = Retriever.from_settings(settings, thresholds=(-1.0, 0.0))  # the index's (adapted) model
    questions = [g.question for g in golds]
    runs = [
        SystemRun(name, _run_retriever(retriever, questions, mode), _run_retriever(retriever, oos, mode))
        for name, mode in (("hybrid (product)", "hybrid"), ("dense only", "dense"), ("BM25 only", "bm25"))
    ]
    with tempfile.TemporaryDirectory() as scratch:  # the same pipeline on the packaged model, not adapted
        plain_settings = settings.model_copy(update={"index_dir": Path(scratch) / "index", "adaptation_epochs": 0})
        build_index(plain_settings, embedder_factory=lambda _name: embedder)
        plain = Retriever.from_settings(plain_settings, embedder=embedder, thresholds=(-1.0, 0.0))
        runs.insert(1, SystemRun("hybrid, packaged model (no adaptation)", _run_retriever(plain, questions, "hybrid"),
                                 _run_retriever(plain, oos, "hybrid")))
    naive = NaiveBaseline(collect_documents(settings)[0], embedder)
    runs.append(SystemRun("naive: 1,000-char chunks, top chunk", [naive.run(g.question) for g in golds],
                          [naive.run(q) for q in oos]))
    everything = (list(range(len(golds))), list(range(len(oos))))
    sections = _section_texts(retriever)
    results: dict[str, dict[str, float]] = {}
    thresholds: dict[str, Thresholds] = {}
    for run in runs:
        target = 0.95 if run.name.startswith("naive") else TARGET_DECLINED
        if run.name.startswith("naive"):
            cut = float(np.quantile([o.confidence for o in run.oos], 0.95))
            chosen = Thresholds(cut + 1e-6, 0.0)
        else:
            chosen = _calibrate(run, golds, *everything, target)
        thresholds[run.name] = chosen
        gated = _thresholded(run, golds, chosen)
        results[run.name] = summarize(golds, gated.gold, gated.oos, sections)
    product = runs[0]
    cv = _cross_validated(product, golds, TARGET_DECLINED)
    if calibrate:
        write_calibration(settings.calibration_path, thresholds[product.name], {
            "set_on": f"{GOLD_PATH.name} ({len(golds)} questions) and {OUT_OF_SCOPE_PATH.name} ({len(oos)})",
            "target_out_of_scope_declined": TARGET_DECLINED,
            "written_by": "trialbot eval retrieval --calibrate",
        })
    holdout = load_gold(HOLDOUT_PATH)
    held = _thresholded(SystemRun("held out", _run_retriever(retriever, [g.question for g in holdout], "hybrid"),
                                  product.oos), holdout, thresholds[product.name])
    live = Retriever.from_settings(settings, embedder=retriever.searcher.embedder)
    latency = _latency(live, embedder, [g.question for g in golds[:120]])
    memory = measure_memory()
    gated_product = _thresholded(product, golds, thresholds[product.name])
    judgments = load_judgments()
    judged = (judge_outputs(golds, gated_product.gold, judgments), judge_outputs(holdout, held.gold, judgments))
    return {"golds": golds, "oos": oos, "results": results, "thresholds": thresholds, "cv": cv,
            "latency": latency, "memory": memory, "product": gated_product, "judged": judged,
            "holdout": (holdout, held, summarize(holdout, held.gold, held.oos, sections))}


def write_report(figures: dict, report_dir: Path = REPORT_DIR) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    results, golds = figures["results"], figures["golds"]
    _plot(results, report_dir / "retrieval.png")
    waiting = write_to_judge(report_dir / "retrieval_to_judge.jsonl", *figures["judged"])
    with (report_dir / "retrieval.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        keys = list(next(iter(results.values())))
        writer.writerow(["system", *keys])
        for name, values in results.items():
            writer.writerow([name, *[f"{values[k]:.4f}" for k in keys]])
    lines = [
        "# Retrieval and answer evaluation",
        "",
        f"Gold set: {len(golds)} patient-style questions written for the project "
        f"(`evaluation/data/gold_questions.jsonl`). Out-of-scope set: {len(figures['oos'])} real consumer health "
        "questions written outside the project (`shared/data/out_of_scope_dev.jsonl`).",
        "",
        "Recall@k: the expected document section is among the top k passages. Facts: the shown answer "
        "holds every key fact (share of all gold questions). Answered: not declined. Each system's refusal "
        f"thresholds are set on these data to decline {TARGET_DECLINED:.0%} of out-of-scope questions counted "
        "conformally: ⌈(n + 1) × 0.97⌉ of the n in the set, so that the share holds for new questions like them "
        "(`evaluation/calibration.py`; naive baseline: the plain 95% quantile, as it was originally tuned).",
        "",
        "The product also matches questions against the anticipated questions in "
        "`knowledge/trials/*/questions/` (written by helpers who were told not to open this gold set), trains a "
        "section classifier and a sentence classifier on them, and fine-tunes a copy of the packaged MiniLM on "
        "them at index time (`knowledge/adaptation.py`); the gold set was not used to write them. \"dense only\" "
        "and \"BM25 only\" use the product's index (the adapted model); \"packaged model (no adaptation)\" is the "
        "whole product pipeline on an index built with the packaged model, built in this run. The ranking "
        "weights, and the caveats (`knowledge/caveats.py`), were chosen with the gold set in view, so its figures "
        "are somewhat optimistic; the cross-check below re-fits only the refusal gate.",
        "",
        "R@3*: Recall@3 counting any section whose text holds all the key facts (several facts are stated "
        "in two documents). The naive baseline's sections are the headings its windows touch.",
        "",
        "| system | R@1 | R@3 | R@5 | MRR | R@3* | facts | answered | median answer chars | out-of-scope declined |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, v in results.items():
        lines.append(f"| {name} | {v['recall@1']:.3f} | {v['recall@3']:.3f} | {v['recall@5']:.3f} | {v['mrr']:.3f} | "
                     f"{v['recall@3_any_fact_section']:.3f} | "
                     f"{v['facts']:.3f} | {v['answered']:.3f} | {v['median_answer_chars']:.0f} | "
                     f"{v['oos_declined']:.3f} |")
    t = figures["thresholds"]["hybrid (product)"]
    cv = figures["cv"]
    lat = figures["latency"]
    mem = figures["memory"]
    lines += [
        "",
        "![quality by system](retrieval.png)",
        "",
        f"Product refusal gate: answered when retrieval confidence + {t.domain_weight:.1f} × domain probability "
        f"≥ {t.min_score:.4f} (written to `knowledge/calibration.json`).",
        "",
        "Two-fold cross-check (thresholds set on one half, measured on the other, mean of both): "
        f"answered {cv['answered']:.3f}, facts {cv['facts']:.3f}, out-of-scope declined {cv['oos_declined']:.3f}.",
        "",
        *_judged_lines(*figures["judged"], waiting),
        "",
        "## Held-out gold set",
        "",
        *_holdout_lines(figures["holdout"]),
        "",
        "## Speed",
        "",
        f"Median over {lat['n']} gold questions, interleaved in one run after {WARM_UP_QUESTIONS} untimed questions: "
        f"`ask` {lat['ask_ms']:.1f} ms; bare floor "
        f"(packaged model encodes the question + one flat FAISS search) {lat['floor_ms']:.1f} ms; "
        f"ratio **{lat['ratio']:.2f}×**.",
        "",
        f"Peak memory (resident set), each loaded in a fresh process that answers one question: `ask` "
        f"{mem.ask_mib:.0f} MiB; bare floor (packaged model + flat FAISS index) {mem.floor_mib:.0f} MiB; "
        f"ratio **{mem.ratio:.2f}×** (`evaluation/memory_footprint.py`).",
        "",
        "## By style (product)",
        "",
        "| style | n | answered | facts |",
        "|---|---|---|---|",
    ]
    product = figures["product"]
    for style in sorted({g.style for g in golds}):
        idx = [i for i, g in enumerate(golds) if g.style == style]
        answered = sum(product.gold[i].confident for i in idx)
        facts = sum(product.gold[i].confident and holds_facts(golds[i], product.gold[i].body) for i in idx)
        lines.append(f"| {style} | {len(idx)} | {answered / len(idx):.3f} | {facts / len(idx):.3f} |")
    misses = [(g, o) for g, o in zip(golds, product.gold, strict=True) if not (o.confident and holds_facts(g, o.body))]
    lines += ["", f"## Gold questions without the facts ({len(misses)})", ""]
    for g, o in misses:
        shown = "declined" if not o.confident else o.body[:160].replace("|", "/")
        lines.append(f"- `{g.id}` {g.question[:100]} — facts {list(g.key_facts)} — shown: {shown}")
    accepted = [q for q, o in zip(figures["oos"], product.oos, strict=True) if o.confident]
    lines += ["", f"## Out-of-scope questions answered anyway ({len(accepted)})", ""]
    lines += [f"- {q[:140]}" for q in accepted]
    path = report_dir / "retrieval.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _judged_lines(gold: JudgedFacts, holdout: JudgedFacts, waiting: int) -> list[str]:
    """The reader's second reading of the facts rate (``evaluation/judged_facts.py``)."""
    def line(name: str, j: JudgedFacts) -> str:
        return (f"| {name} | {j.rate:.3f} | {j.judged} | {j.not_judged} | {len(j.strict_only)} "
                f"{list(j.strict_only)} | {len(j.judged_only)} {list(j.judged_only)} |")
    return [
        "Facts judged by a reader (`evaluation/data/fact_judgments.jsonl`): whether each shown answer conveys every "
        "key fact in any words, judged strictly by helpers who saw only the question, its key facts and the answer "
        "(shuffled, gold and held-out mixed; not the system, the strict result or the targets). Answers that "
        "changed since they were judged are not counted as holding the facts. This is a second reading; the "
        "strict phrase match above is the figure the target is set on.",
        "",
        "| set | judged facts | judged | not judged | strict only | reader only |",
        "|---|---|---|---|---|---|",
        line("gold", gold),
        line("held-out", holdout),
        "",
        f"Answers waiting for a verdict: {waiting} (listed in `retrieval_to_judge.jsonl` beside this report).",
    ]


def _holdout_lines(holdout: tuple[list[GoldQuestion], SystemRun, dict[str, float]]) -> list[str]:
    golds, run, v = holdout
    misses = [(g, o) for g, o in zip(golds, run.gold, strict=True) if not (o.confident and holds_facts(g, o.body))]
    return [
        f"`evaluation/data/gold_holdout.jsonl`: {len(golds)} questions written blind by a helper who read only the "
        "trial documents (not the gold set, the anticipated questions or any result), after the ranking weights, "
        "caveats and gate were chosen. Nothing is chosen on it; the product's gate and weights are applied as they "
        "are. Its key facts are 2–8-word phrases (the gold set's are often single terms), so it is stricter. One "
        "later change was made with its misses in view: the side-effects caveat and the \"this drug\" synonym "
        "(2026-12-05) mend a question that an earlier run listed here (h065, declined) and its gold twin, and six "
        "anticipated \"who is the trial for\" questions were added after h004 was listed here as answered from "
        "\"Who leads the trial?\", so this figure is slightly optimistic by those questions.",
        "",
        "| set | R@1 | R@3 | R@5 | MRR | R@3* | facts | answered | median answer chars |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| held-out ({len(golds)}) | {v['recall@1']:.3f} | {v['recall@3']:.3f} | {v['recall@5']:.3f} | "
        f"{v['mrr']:.3f} | {v['recall@3_any_fact_section']:.3f} | {v['facts']:.3f} | {v['answered']:.3f} | "
        f"{v['median_answer_chars']:.0f} |",
        "",
        f"Held-out questions without the facts ({len(misses)}):",
        "",
        *[f"- `{g.id}` {g.question[:100]} — facts {list(g.key_facts)} — shown: "
          f"{'declined' if not o.confident else o.body[:160].replace('|', '/')}" for g, o in misses],
    ]


def run_retrieval_evaluation(settings: KnowledgeSettings, calibrate: bool = False) -> int:
    figures = evaluate(settings, calibrate)
    path = write_report(figures)
    product = figures["results"]["hybrid (product)"]
    print(f"report: {path}")
    print(" ".join(f"{k}={v:.3f}" for k, v in product.items()))
    print(f"ask/floor ratio={figures['latency']['ratio']:.2f} memory ask/floor={figures['memory'].ratio:.2f}")
    return 0
