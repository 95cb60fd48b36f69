"""Train a query-side LoRA adapter on EmbeddingGemma, resumably, and measure it on
development data.

Usage: python bench/train_query_adapter.py [--rank 8] [--epochs 1] [--batch 32]
                                           [--lr 1e-4] [--work DIR] [--out DIR]
                                           [--bce W] [--news N] [--siblings K] [--windows]
                                           [--results FILE]
                                           [--max-steps N] [--device cpu|cuda]

The reader (bench/train_reader.py) reads each candidate with the question: better
ordering is possible, but every sentence read costs a forward pass at question time.
A query-side adapter changes only how the question is embedded: the documents keep
the base model's vectors (no re-index) and a question costs one forward pass, as now.

1. examples: the reader's (bench/train_reader.py builds WORK/examples.jsonl: TyDi QA
   GoldP dev-ar and ARCD train minus 20 % of titles kept for development, XQuAD
   articles 0-23 in Arabic and English; positives by Isnad's segmenter; hard negatives
   from EmbeddingGemma). Every document vector comes from Isnad's embedding cache,
   through the base model, as indexing makes them.
2. train: LoRA on the attention projections of the question's forward pass only;
   loss = softmax cross-entropy of the positive against its group (the paragraph's
   other sentences, hard negatives) and every other question's group in the batch
   (temperature ``--tau``); with ``--bce W``, plus W times a binary cross-entropy
   that puts every positive above, and every negative below, one learnt similarity
   shared by all questions: the relative loss orders sentences within a question,
   but abstention compares one threshold with every question's best similarity;
   with ``--siblings K``, plus a cross-entropy of each positive sentence against its
   own question and up to K *sibling* questions (other questions, in the same language,
   on the same paragraph, that the sentence does not answer): the relative loss asks
   which sentence answers a question, this asks which question a sentence answers, the
   side abstention lives on, since an unanswerable question on the articles' own topic
   is a sibling of the questions they do answer; with ``--windows``, every text's
   similarity in the loss is the higher of its own and its best 12-word run's, as the
   engine ranks long sentences (retrieval/windows.py), so the adapter is trained for the
   score it is used with.
   A checkpoint is written atomically to WORK every
   ``--every`` steps and at the end; a second run resumes from it.
3. measure: inside the gold paragraph, accuracy@1 of the development questions (base
   vs adapted question vectors), and on Isnad's own development set
   (bench/data/calibration.jsonl, the bundled articles) answer-in-quote@3 and the
   flagship question's rank, base vs adapted. Writes OUT (peft's adapter files and
   manifest.json; default: the package's embeddings/adapters/isnad-gemma-query, what
   ``ISNAD_QUERY_ADAPTER=auto`` loads) and bench/results/query-adapter-rRANK-eEPOCHS.json
   (``-bceW``, ``-newsN``, ``-lrX``, ``-tauX`` added for those options when not the
   default; ``--results`` names another file).

With ``--news N``, N SaudiNewsNet headline examples join the training questions (see
``news_examples``): weak supervision in the news domain, labelled by word overlap.

Data come from ../shared/data and are never copied into the project.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import train_reader  # noqa: E402  (the reader's examples and data sources)

from isnad.retrieval.windows import sentence_windows, window_texts  # noqa: E402

NEWS = train_reader.DATA / "saudinewsnet"
FLAGSHIP = "Where was ISIS to be evacuated to?"
DESTINATIONS = ("بيار القصب", "البادية السورية", "بادية السويداء")
#: Where --bce's shared cut starts (about the model alone's fitted threshold, 0.347),
#: and what a checkpoint written before --bce existed resumes with.
CUT_START = 0.35


def news_examples(count: int) -> list[dict]:
    """Weak supervision in the news domain: SaudiNewsNet headlines as questions.

    From the archive's end (the distractor benchmarks take its start), one example per
    distinct headline: the positive is the article's sentence that shares the most of the
    headline's content terms (Isnad's own ``terms``), kept only when it shares at least
    60 % of them and is among the first three sentences (the lead that states the
    headline); the negatives are up to five sentences of the same article that share at
    most 25 % (the most overlapping first): the same story, not its statement. Labels
    come from word overlap, never from the model being trained."""
    if count <= 0:  # the default: the archive is not even read
        return []
    from scale import saudinewsnet

    from isnad.corpus.sentences import split_sentences
    from isnad.retrieval.arabic import terms

    examples: list[dict] = []
    seen: set[str] = set()
    for record in reversed(saudinewsnet()):
        if len(examples) >= count:
            break
        title = (record["title"] or "").strip()
        headline = set(terms(title))
        if not title or title in seen or not 3 <= len(headline) <= 20:
            continue
        seen.add(title)
        text = record["text"]
        sentences = [s for s in (text[span.start:span.end] for span in split_sentences(text))
                     if 40 <= len(s) <= 600]
        if len(sentences) < 5:
            continue
        shared = [len(headline & set(terms(s))) / len(headline) for s in sentences]
        best = max(range(len(sentences)), key=shared.__getitem__)
        negatives = sorted((i for i, share in enumerate(shared) if share <= 0.25),
                           key=lambda i: -shared[i])[:5]
        if shared[best] < 0.6 or best > 2 or len(negatives) < 3:
            continue
        examples.append({"qid": f"saudinewsnet:{record['id']}", "source": "saudinewsnet",
                         "split": "train", "question": title, "answers": [],
                         "sentences": [sentences[best], *(sentences[i] for i in negatives)],
                         "positive": 0, "hard": []})
    return examples


def attach_siblings(train: list[dict], count: int, seed: int) -> int:
    """Give each training example ``"siblings"``: up to ``count`` other questions of its
    source (language) on the same paragraph whose answer its positive sentence does not
    hold, drawn once with ``seed``. Returns how many examples got at least one."""
    import random

    by_paragraph: dict[tuple, list[dict]] = {}
    for e in train:
        by_paragraph.setdefault((e["source"], tuple(e["sentences"])), []).append(e)
    rng, with_any = random.Random(seed), 0
    for e in train:
        positive = e["sentences"][e["positive"]]
        others = sorted({o["question"] for o in by_paragraph[(e["source"], tuple(e["sentences"]))]
                         if o["question"] != e["question"]
                         and o["sentences"][o["positive"]] != positive
                         and not any(a in positive for a in o["answers"])})
        e["siblings"] = rng.sample(others, min(count, len(others)))
        with_any += bool(e["siblings"])
    return with_any


def group(example: dict) -> tuple[list[str], set[str]]:
    """The positive first, then the negatives; and the texts that must never count as
    negatives for this question (ones containing an answer)."""
    sentences = example["sentences"]
    positive = sentences[example["positive"]]
    answers = example["answers"]
    negatives = [s for i, s in enumerate(sentences) if i != example["positive"]
                 and s != positive and not any(a in s for a in answers)]
    negatives += [s for s in example["hard"] if s not in negatives]
    unsafe = {s for s in sentences if any(a in s for a in answers)} | {positive}
    return [positive, *negatives], unsafe


class QueryTrainer:
    def __init__(self, args: argparse.Namespace, base_dir: Path) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from sentence_transformers import SentenceTransformer

        self.torch, self.args = torch, args
        torch.manual_seed(args.seed)
        self.model = SentenceTransformer(str(base_dir), device=args.device,
                                         local_files_only=True)
        self.prompt = self.model.prompts["query"]
        config = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0,
                            target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
        # peft's own wrapper (sentence-transformers' add_adapter needs a newer peft than
        # installs beside torch 2.13 here). It injects the LoRA layers into the
        # transformer in place: sentence-transformers' forward goes through them, and
        # the wrapper turns them off and saves them.
        self.peft = get_peft_model(self.model[0].auto_model, config)
        for name, parameter in self.model.named_parameters():  # the Dense layers too
            parameter.requires_grad = "lora_" in name
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        groups: list[dict] = [{"params": self.params, "lr_scale": 1.0}]
        # The shared cut of the --bce term: learnt (faster than the LoRA weights, since it
        # starts far from where the questions' similarities settle), never shipped: the
        # engine's threshold is fitted on the development set by bench/calibrate.py.
        self.cut = torch.nn.Parameter(torch.tensor(CUT_START))
        if args.bce:
            groups.append({"params": [self.cut], "lr_scale": 100.0})
        self.optimizer = torch.optim.AdamW(groups, lr=args.lr, weight_decay=0.0)

    def embed(self, questions: list[str]):
        features = self.model.tokenize([self.prompt + q for q in questions])
        features = {k: v.to(self.args.device) if hasattr(v, "to") else v
                    for k, v in features.items()}
        vectors = self.model(features)["sentence_embedding"]
        return self.torch.nn.functional.normalize(vectors, dim=-1)

    def queries(self, questions: list[str], adapted: bool = True) -> np.ndarray:
        """Question vectors as the engine would get them, with or without the adapter."""
        import contextlib

        self.model.eval()
        with self.peft.disable_adapter() if not adapted else contextlib.nullcontext(), \
                self.torch.inference_mode():
            return np.concatenate([self.embed(questions[i:i + 32]).float().cpu().numpy()
                                   for i in range(0, len(questions), 32)])

    def step(self, batch: list[dict], vectors: dict[str, np.ndarray], lr: float) -> float:
        torch = self.torch
        self.model.train()
        for g in self.optimizer.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        groups = [group(e) for e in batch]
        texts = [t for texts, _ in groups for t in texts]
        candidates = torch.from_numpy(np.stack([vectors[t] for t in texts])).to(
            self.args.device)
        runs = ([(j, run) for j, text in enumerate(texts) for run in sentence_windows(text)]
                if self.args.windows else [])
        if runs:
            owners = torch.tensor([j for j, _ in runs], device=self.args.device)
            run_vectors = torch.from_numpy(np.stack([vectors[r] for _, r in runs])).to(
                self.args.device)
        starts = np.cumsum([0] + [len(t) for t, _ in groups])[:-1]
        mask = torch.zeros(len(batch), len(texts), dtype=torch.bool)
        for i, (_, unsafe) in enumerate(groups):
            for j, text in enumerate(texts):
                if text in unsafe and j != starts[i]:
                    mask[i, j] = True  # the same positive from a parallel question
        siblings = [e.get("siblings", [])[:self.args.siblings] for e in batch]
        questions = self.embed([e["question"] for e in batch]
                               + [q for own in siblings for q in own])
        similarity = questions[:len(batch)] @ candidates.T
        if runs:
            # A text scores as its best run when that is closer (the engine's score).
            similarity = similarity.scatter_reduce(
                1, owners.expand(len(batch), -1), questions[:len(batch)] @ run_vectors.T,
                reduce="amax")
        logits = (similarity / self.args.tau).masked_fill(mask.to(self.args.device),
                                                          float("-inf"))
        target = torch.from_numpy(starts).to(self.args.device)
        loss = torch.nn.functional.cross_entropy(logits, target)
        if self.args.bce:
            # Each question against its own group only: its positive, and its negatives
            # (the paragraph's other sentences and the hard ones, on its topic: what an
            # unanswerable question's best sentence looks like).
            own = torch.zeros_like(mask)
            for i, (texts_i, _) in enumerate(groups):
                own[i, starts[i]:starts[i] + len(texts_i)] = True
            margin = (similarity - self.cut) / self.args.tau
            positive = torch.zeros_like(mask)
            positive[torch.arange(len(batch)), torch.from_numpy(starts)] = True
            negative = own & ~positive
            softplus = torch.nn.functional.softplus
            bce = softplus(-margin[positive]).mean() + softplus(margin[negative]).mean()
            loss = loss + self.args.bce * bce
        if any(siblings):
            # Each positive against its question (first) and that question's siblings.
            positives = candidates[torch.from_numpy(starts)]
            rows, first = [], len(batch)
            for i, own in enumerate(siblings):
                if own:
                    rows.append(questions[[i, *range(first, first + len(own))]] @ positives[i])
                first += len(own)
            width = max(len(r) for r in rows)
            padded = torch.stack([torch.nn.functional.pad(r / self.args.tau,
                                                          (0, width - len(r)),
                                                          value=float("-inf"))
                                  for r in rows])
            zeros = torch.zeros(len(rows), dtype=torch.long, device=padded.device)
            loss = loss + torch.nn.functional.cross_entropy(padded, zeros)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    def save(self, path: Path, state: dict) -> None:
        from peft import get_peft_model_state_dict

        tmp = path.with_suffix(".tmp")
        self.torch.save({"adapter": get_peft_model_state_dict(self.peft),
                         "cut": float(self.cut.detach()),
                         "optimizer": self.optimizer.state_dict(),
                         "rng": self.torch.get_rng_state(), **state}, tmp)
        os.replace(tmp, path)

    def load(self, path: Path) -> dict:
        from peft import set_peft_model_state_dict

        saved = self.torch.load(path, map_location=self.args.device, weights_only=False)
        result = set_peft_model_state_dict(self.peft, saved.pop("adapter"))
        with self.torch.no_grad():
            self.cut.fill_(saved.pop("cut", CUT_START))
        assert not result.unexpected_keys, result.unexpected_keys
        self.optimizer.load_state_dict(saved.pop("optimizer"))
        self.torch.set_rng_state(saved.pop("rng"))
        return saved


def windowed(own: np.ndarray, sentences: list[str], q: np.ndarray,
             vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Each sentence's similarity as the engine ranks it: the higher of its own
    (``own``) and its best 12-word run's."""
    best = [max([float(vectors[r] @ q) for r in sentence_windows(s)], default=-1.0)
            for s in sentences]
    return np.maximum(own, best)


def paragraph_accuracy(trainer: QueryTrainer, dev: list[dict],
                       vectors: dict[str, np.ndarray],
                       windows: bool = False) -> dict[str, dict[str, float]]:
    """Inside the gold paragraph: is the closest sentence the one with the answer?
    (With ``windows``, also by the higher of each sentence's and its best run's
    similarity, as the engine ranks: ``base_windows``, ``adapted_windows``.)"""
    dev = [e for e in dev if len(e["sentences"]) > 1]
    questions = [e["question"] for e in dev]
    out: dict[str, dict[str, list[bool]]] = {}
    pooled: dict[str, dict[str, list[tuple[float, bool]]]] = {}
    for label, adapted in (("base", False), ("adapted", True)):
        for e, q in zip(dev, trainer.queries(questions, adapted), strict=True):
            scores = np.stack([vectors[s] for s in e["sentences"]]) @ q
            out.setdefault(e["source"], {}).setdefault(label, []).append(
                int(np.argmax(scores)) == e["positive"])
            if windows:
                out[e["source"]].setdefault(f"{label}_windows", []).append(
                    int(np.argmax(windowed(scores, e["sentences"], q, vectors)))
                    == e["positive"])
            pooled.setdefault(e["source"], {}).setdefault(label, []).extend(
                (float(score), i == e["positive"]) for i, score in enumerate(scores))
    return {source: {"questions": len(rows["base"]),
                     **{k: round(sum(v) / len(v), 4) for k, v in rows.items()},
                     **{f"pooled_auc_{k}": round(pooled_auc(v), 4)
                        for k, v in pooled[source].items()}}
            for source, rows in sorted(out.items())}


def pooled_auc(scored: list[tuple[float, bool]]) -> float:
    """How well one similarity cut, the same for every question, tells answering
    sentences from the rest: the chance that a random answering (question, sentence)
    pair scores above a random non-answering one, over all questions together."""
    from scipy.stats import rankdata

    scores = np.array([s for s, _ in scored])
    labels = np.array([ok for _, ok in scored])
    ranks = rankdata(scores)  # ties share their mean rank, and count half
    positives, negatives = labels.sum(), (~labels).sum()
    return float((ranks[labels].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def own_development(trainer: QueryTrainer, base_dir: Path) -> dict[str, dict]:
    """Isnad's own development set through the engine, with the base model's document
    vectors and the question embedded without, then with, the adapter."""
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder
    from isnad.evaluate import ask_one, eval_home, figures, load_dataset
    from isnad.retrieval.calibration import fit_threshold
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex, build_index
    from isnad.settings import Settings

    settings = Settings(model="embeddinggemma", reader="none")
    encoder = SentenceTransformerEncoder(base_dir, name="embeddinggemma")
    articles, questions = load_dataset(ROOT / "bench" / "data" / "calibration.jsonl", None, [])
    home = eval_home(settings, articles, encoder.name)
    if not home.exists():
        build_index(home, articles, encoder)
    results = {}
    for label, adapted in (("base", False), ("adapted", True)):
        encoder.encode_queries = (  # type: ignore[method-assign]
            lambda texts, adapted=adapted: trainer.queries(list(texts), adapted))
        engine = Engine(LocalIndex(home), encoder)
        rows = [ask_one(engine, q, 3) for q in questions]
        report = figures(rows, 3)
        quotes = engine.answer_and_rank(FLAGSHIP, top=10, abstain=False)[0].quotes
        report["flagship_rank"] = next((i for i, q in enumerate(quotes, 1)
                                        if any(d in q.text for d in DESTINATIONS)), None)
        report["misses"] = [r["id"] for r in rows if r["outcome"] == "miss"]
        # Abstention at each vector's own cut, fitted as bench/calibrate.py fits it
        # (the same questions: a development figure, not a held-out one).
        fit = fit_threshold([(engine.best_similarity(q.question), q.answerable)
                             for q in questions])
        report["fitted_threshold"] = {"abstain_below": fit.threshold,
                                      "answer_recall": round(fit.answer_recall, 4),
                                      "abstention_rate": round(fit.abstention_rate, 4)}
        results[label] = {k: report[k] for k in (
            "answer_in_quote@3", "gold_article_in_quotes@3", "abstained_answerable",
            "abstained_unanswerable", "answerable", "unanswerable", "flagship_rank",
            "misses", "fitted_threshold")}
        print(f"own development, {label}: AIQ@3 {report['answer_in_quote@3']}, "
              f"flagship rank {report['flagship_rank']}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--tau", type=float, default=0.05)
    parser.add_argument("--bce", type=float, default=0.0,
                        help="weight of the shared-cut binary cross-entropy (0: none)")
    parser.add_argument("--news", type=int, default=0,
                        help="add this many SaudiNewsNet headline examples (0: none)")
    parser.add_argument("--siblings", type=int, default=0,
                        help="contrast each positive with up to this many other questions "
                             "on its paragraph (0: none)")
    parser.add_argument("--windows", action="store_true",
                        help="score each text in the loss by the higher of its own and its "
                             "best 12-word run's similarity, as the engine ranks")
    parser.add_argument("--batch", type=int, default=32, help="questions per step")
    parser.add_argument("--every", type=int, default=10, help="steps between checkpoints")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-steps", type=int, default=None, help="stop early")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if any)")
    parser.add_argument("--work", type=Path, default=None,
                        help="examples and checkpoints (default: ISNAD_HOME/train-reader)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the adapter goes (default: the package's "
                             "embeddings/adapters/isnad-gemma-query)")
    parser.add_argument("--results", type=Path, default=None,
                        help="where the figures go (default: bench/results/"
                             "query-adapter-rRANK-eEPOCHS[-bceW][-newsN][-lrX][-tauX].json; "
                             "name another file when --work holds other examples, so no "
                             "recorded figure is overwritten)")
    args = parser.parse_args()

    import torch

    from isnad.embeddings.fetch import (
        HUB_NAME,
        ensure_embeddinggemma,
        save_peft_adapter,
        sha256_of,
    )
    from isnad.embeddings.query_adapter import BUNDLED, write_manifest
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder
    from isnad.settings import Settings

    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    settings = Settings()
    base_dir = ensure_embeddinggemma(settings.index_home.models_dir)
    work = args.work or settings.home / "train-reader"
    work.mkdir(parents=True, exist_ok=True)
    out = args.out or ROOT / "embeddings" / "adapters" / BUNDLED
    examples_path = work / "examples.jsonl"
    if not examples_path.exists():
        print("1/3 building examples (bench/train_reader.py's)", file=sys.stderr)
        train_reader.build_examples(examples_path, base_dir)
    examples = train_reader.load_examples(examples_path)
    train = [e for e in examples if e["split"] == "train"] + news_examples(args.news)
    dev = [e for e in examples if e["split"] == "dev"]
    if args.siblings:
        print(f"{attach_siblings(train, args.siblings, args.seed)} training questions "
              "with siblings", file=sys.stderr)
    texts = sorted({t for e in train for t in group(e)[0]} |
                   {s for e in dev for s in e["sentences"]})
    if args.windows:
        texts = sorted(set(texts) | set(window_texts(texts)))
    encoder = SentenceTransformerEncoder(base_dir, name="embeddinggemma")
    vectors = dict(zip(texts, train_reader._embed_cached(encoder, texts, "document vectors"),
                       strict=True))
    del encoder
    print(f"{len(train)} training questions, {len(dev)} development questions, "
          f"{len(texts)} document vectors", file=sys.stderr)

    trainer = QueryTrainer(args, base_dir)
    tag = (f"r{args.rank}-e{args.epochs}" + (f"-bce{args.bce:g}" if args.bce else "")
           + (f"-news{args.news}" if args.news else "")
           + (f"-sib{args.siblings}" if args.siblings else "")
           + ("-win" if args.windows else "")
           + "".join(f"-{name}{getattr(args, name):g}" for name in ("lr", "tau")
                     if getattr(args, name) != parser.get_default(name)))
    checkpoint = work / f"query-checkpoint-{tag}.pt"

    def query_step(picked: list[int], step: int, lr: float) -> float:
        return trainer.step([train[i] for i in picked], vectors, lr)

    state = train_reader.train_resumably(trainer, checkpoint, len(train), args, query_step,
                                         warmup_share=10)
    total = state["total"]
    print("3/3 development figures", file=sys.stderr)
    figures = {"paragraph_accuracy@1": paragraph_accuracy(trainer, dev, vectors,
                                                          args.windows),
               "own_development": own_development(trainer, base_dir)}
    for source, row in figures["paragraph_accuracy@1"].items():
        print(f"{source:10} {row['questions']:4} questions  base {row['base']:.3f}  "
              f"adapted {row['adapted']:.3f}  pooled AUC {row['pooled_auc_base']:.3f} → "
              f"{row['pooled_auc_adapted']:.3f}", file=sys.stderr)
    for label, row in figures["own_development"].items():
        fit = row["fitted_threshold"]
        print(f"own development, {label}: its own cut {fit['abstain_below']} answers "
              f"{fit['answer_recall']:.1%}, abstains on {fit['abstention_rate']:.1%} of "
              "unanswerable", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    save_peft_adapter(trainer.peft, out, HUB_NAME)
    import peft
    import transformers

    details = {
        "data": {name: {"path": str(path.relative_to(ROOT.parent)), "sha256": sha256_of(path)}
                 for name, path in train_reader.SOURCES.items()}
                | ({f"saudinewsnet/{path.name}": {"path": str(path.relative_to(ROOT.parent)),
                                                   "sha256": sha256_of(path)}
                    for path in sorted(NEWS.glob("*.zip"))} if args.news else {}),
        "command": " ".join(["python bench/train_query_adapter.py", *sys.argv[1:]]),
        "settings": {k: v for k, v in vars(args).items()
                     if k not in {"work", "out", "results"}},
        "steps": state["step"], "complete": state["step"] >= total,
        "train_seconds": round(state["seconds"]),
        "hardware": f"{platform.machine()}, {os.cpu_count()} cores, {args.device}",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "peft": peft.__version__},
        "development": figures, "made": time.strftime("%Y-%m-%d"),
    }
    write_manifest(out, HUB_NAME, base_dir, name=BUNDLED, **details)
    result = args.results or ROOT / "bench" / "results" / f"query-adapter-{tag}.json"
    from isnad import __version__

    result.write_text(json.dumps({
        "model": "embeddinggemma", "query_adapter": BUNDLED, "isnad_version": __version__,
        "date": details["made"],
        **{k: details[k] for k in (
            "command", "settings", "steps", "train_seconds", "hardware", "development")}},
        indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out} and {result}", file=sys.stderr)


if __name__ == "__main__":
    main()
