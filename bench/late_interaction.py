"""Late interaction over EmbeddingGemma's token states: does a small head that sees the
question's and the sentence's tokens together order a paragraph better than the cosine?

Usage: python bench/late_interaction.py [--work DIR] [--head maxsim|cross|joint] [--dim 128]
                                        [--join 20] [--rank 16] [--epochs 6] [--seed 13]
                                        [--siblings K] [--candidates K] [--out NAME]
                                        [--export [DIR]]

The shipped joint reader (retrieval/readers/isnad-gemma-joint) is rebuilt by
    python bench/late_interaction.py --head joint --join 20 --epochs 1 --siblings 4 \
        --candidates 3 --out sib4 --export
(features once, 12–35 min, and one epoch, 24–47 min, on two cores, by machine; its manifest records
the command, the data's and the base weights' SHA-256 and the development figures).

The cross-encoder reader (bench/train_reader.py) reads question and sentence together
from the first layer, so it must be trained through the encoder: 84 min per epoch on
two cores, and one epoch did not beat the cosine. Here the encoder stays frozen and
reads each text alone, as it does for indexing; only a small head over its last token
states is trained, so training takes minutes and a sentence's states could be kept at
index time. Two heads:
- ``maxsim``: ColBERT's late interaction: a learnt projection of every token, and per
  question token its best match among the sentence's tokens, averaged;
- ``cross``: a two-layer transformer over the projected tokens of both texts (with a
  segment embedding), its first position read out as a logit;
- ``joint``: PreTTR: EmbeddingGemma's own layers from ``--join`` up (a LoRA of rank
  ``--rank`` on their attention) read the states entering that layer of both texts
  side by side, so the interaction starts from pretrained layers, not from random
  ones; the means of each text's output states are read out as a logit. Its features
  are those states (prompt and <bos> kept), in WORK/late-features-layerJOIN.pt.
Each is added to the adapted question's cosine (the shipped first stage, learnt
weight), so training starts from the first stage and learns a correction.

1. features (once, into WORK/late-features.pt, resumable by chunk): the reader's
   examples (TyDi QA GoldP dev-ar and ARCD train minus 20 % of titles, XQuAD articles
   0-23 in both languages; paragraph sentences by Isnad's segmenter, three hard
   negatives each from the first stage), every sentence's token states and vector
   through the base model with the document prompt, every question's token states
   through the base model and its vector through the shipped query adapter.
2. train on the training part, one positive and up to five negatives per question
   (softmax over the group + binary cross-entropy; with ``--siblings K`` also the
   positive sentence read with up to K other questions on its paragraph that it does not
   answer, as negatives in both terms: the on-topic question the articles hold no answer
   to, which abstention misses), a checkpoint after each epoch in
   WORK/late-interaction-HEAD[-NAME].checkpoint.pt that the same command resumes from
   (and, once trained, goes straight on to step 3 with); 3. measure on the development part
   (questions whose paragraph has more than one sentence, as
   bench/train_query_adapter.py reports): accuracy@1 inside the gold paragraph and the
   pooled AUC, cosine vs head; then the own and the news development sets through the
   engine (bench/news_dev.py's articles and questions), first stage against the head
   as reader, abstention at a cut fitted on the own set. Development data only. Writes
   bench/results/late-interaction-HEAD[-NAME][-kCANDIDATES].json (CANDIDATES when not 12).
   With ``--export`` the trained head is first written as a reader folder and the
   development sets are measured through that folder, loaded as a user's Isnad loads it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import train_reader  # noqa: E402  (the reader's examples and data sources)
from train_query_adapter import attach_siblings, pooled_auc  # noqa: E402

CHUNK = 256
EXPORT = ROOT / "retrieval" / "readers" / "isnad-gemma-joint"


def unit_rows(vectors: list) -> np.ndarray:
    stacked = np.stack(vectors)
    return stacked / np.linalg.norm(stacked, axis=1, keepdims=True)


def token_states(encoder, texts: list[str], prompt: str) -> tuple[list, np.ndarray]:
    """Per text its last-layer token states through the base model (the query adapter
    off) without the prompt's tokens (float16), and its sentence vector as the model
    pools it (prompt included, as indexing does). It reads the encoder's model itself
    (``base_model``): the Encoder interface offers pooled vectors only."""
    import torch

    with torch.inference_mode(), encoder.base_model() as model:
        out = model.encode(texts, prompt=prompt, batch_size=16, output_value=None,
                                    show_progress_bar=False)
    states, vectors = [], []
    for row in out:
        skip = int(row["prompt_length"]) if "prompt_length" in row else 0
        tokens = row["token_embeddings"][row["attention_mask"].bool()]
        states.append(tokens[skip:].to(torch.float16).clone())
        vectors.append(row["sentence_embedding"].float().numpy())
    return states, unit_rows(vectors)


def layer_states(encoder, texts: list[str], prompt: str, layer: int) -> tuple[list, np.ndarray]:
    """Per text the hidden states entering layer ``layer`` through the base model (the
    query adapter off) and its sentence vector: the joint reader's own inputs
    (retrieval/joint_reader.py), so training and the shipped reader read the same."""
    from isnad.retrieval.joint_reader import layer_states as states

    with encoder.base_model() as model:
        return states(model, texts, prompt, layer)


def states_of(join: int | None):
    """How a head's inputs are read: last-layer states without the prompt, or the
    states entering layer ``join`` (the joint head's own layers take it from there)."""
    if join is None:
        return token_states
    return lambda encoder, texts, prompt: layer_states(encoder, texts, prompt, join)


def _save(saved: dict, path: Path) -> None:
    """Atomically: an interrupted run resumes from the last whole chunk."""
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(saved, tmp)
    os.replace(tmp, path)


def build_features(path: Path, join: int | None = None) -> dict:
    import torch
    from tqdm import tqdm

    from isnad.embeddings.fetch import ensure_embeddinggemma
    from isnad.embeddings.query_adapter import resolve
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder
    from isnad.settings import Settings

    base_dir = ensure_embeddinggemma(Settings().index_home.models_dir)
    adapter = resolve("auto", "embeddinggemma")
    encoder = SentenceTransformerEncoder(base_dir, name="embeddinggemma", query_adapter=adapter)
    prompts = encoder.settings()

    saved: dict = torch.load(path, weights_only=False) if path.exists() else {}
    if "examples" not in saved:
        examples, pools = train_reader.read_examples()
        examples = [e for e in examples if e.split != "heldout"]
        saved = {"examples": examples, "pools": pools, "doc": {}, "query": {}}
    examples, pools = saved["examples"], saved["pools"]
    texts = sorted({s for key, pool in pools.items() if not key.endswith("heldout")
                    for s in pool})
    questions = sorted({e.question for e in examples})
    for kind, items, prompt in (("doc", texts, prompts["document_prompt"]),
                                ("query", questions, prompts["query_prompt"])):
        todo = [t for t in items if t not in saved[kind]]
        for i in tqdm(range(0, len(todo), CHUNK), desc=f"{kind} token states", unit="chunk",
                      file=sys.stderr):
            chunk = todo[i:i + CHUNK]
            states, vectors = states_of(join)(encoder, chunk, str(prompt))
            adapted = encoder.encode_queries(chunk) if kind == "query" else vectors
            for text, s, v, a in zip(chunk, states, vectors, adapted, strict=True):
                saved[kind][text] = (s, v.astype(np.float32), np.asarray(a, np.float32))
            _save(saved, path)
    if not saved.get("hard_done"):
        # The reader's hard negatives (train_reader.add_hard_negatives), from these vectors.
        for key, members in train_reader.training_pools(examples).items():
            pool = sorted(set(pools[key]))
            docs = np.stack([saved["doc"][t][1] for t in pool])
            queries = np.stack([saved["query"][e.question][1] for e in members])
            for e, row in zip(members, queries @ docs.T, strict=True):
                train_reader.take_hard_negatives(e, row, pool)
        saved["hard_done"] = True
        _save(saved, path)
    return saved


def top_layers(join: int, rank: int, base: Path | None = None):
    """EmbeddingGemma's (or ``base``'s) layers from ``join`` up and its final norm, with a
    LoRA on their attention: they read the two texts' lower-layer states side by side."""
    from peft import LoraConfig, get_peft_model

    from isnad.embeddings.fetch import ensure_embeddinggemma
    from isnad.retrieval.joint_reader import top_layers as cut
    from isnad.settings import Settings

    base = base or ensure_embeddinggemma(Settings().index_home.models_dir)
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05,
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    return get_peft_model(cut(base, join), config)


def make_head(kind: str, dim: int, join: int = 20, rank: int = 16, base: Path | None = None):
    import torch
    from torch import nn

    class MaxSim(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.q = nn.Linear(768, dim)
            self.d = nn.Linear(768, dim)
            self.cos_weight = nn.Parameter(torch.tensor(20.0))
            self.scale = nn.Parameter(torch.tensor(5.0))
            self.bias = nn.Parameter(torch.tensor(-6.0))

        def forward(self, q, qmask, d, dmask, cos):
            qp = nn.functional.normalize(self.q(q), dim=-1)  # [B, Lq, dim]
            dp = nn.functional.normalize(self.d(d), dim=-1)  # [B, Ld, dim]
            sim = qp @ dp.transpose(1, 2)
            sim = sim.masked_fill(~dmask[:, None, :], -1.0).amax(-1)
            late = (sim * qmask).sum(-1) / qmask.sum(-1)
            return self.cos_weight * cos + self.scale * late + self.bias

    class Cross(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.project = nn.Linear(768, dim)
            self.segment = nn.Embedding(2, dim)
            self.cls = nn.Parameter(torch.zeros(1, 1, dim))
            layer = nn.TransformerEncoderLayer(dim, 4, 4 * dim, dropout=0.1,
                                               batch_first=True, norm_first=True)
            self.body = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.out = nn.Linear(dim, 1)
            nn.init.zeros_(self.out.weight)
            self.cos_weight = nn.Parameter(torch.tensor(20.0))
            self.bias = nn.Parameter(torch.tensor(-6.0))

        def forward(self, q, qmask, d, dmask, cos):
            batch = q.shape[0]
            x = torch.cat([self.cls.expand(batch, 1, -1),
                           self.project(q) + self.segment.weight[0],
                           self.project(d) + self.segment.weight[1]], 1)
            mask = torch.cat([torch.ones(batch, 1, dtype=torch.bool, device=q.device),
                              qmask.bool(), dmask], 1)
            h = self.body(x, src_key_padding_mask=~mask)
            return self.cos_weight * cos + self.out(h[:, 0])[:, 0] + self.bias

    if kind == "joint":  # the shipped reader's own module (retrieval/joint_reader.py)
        from isnad.retrieval.joint_reader import JointHead

        return JointHead(top_layers(join, rank, base), 768)
    return {"maxsim": MaxSim, "cross": Cross}[kind]()


def batch_of(pairs: list[tuple[str, str]], features: dict):
    """Padded tensors for (question, sentence) pairs, and the adapted cosine."""
    import torch

    from isnad.retrieval.joint_reader import pad_states as pad

    q, qmask = pad([features["query"][a][0] for a, _ in pairs])
    d, dmask = pad([features["doc"][b][0] for _, b in pairs])
    cos = torch.tensor([float(features["query"][a][2] @ features["doc"][b][1])
                        for a, b in pairs])
    return q, qmask.float(), d, dmask, cos


def groups(example, rng: random.Random) -> tuple[list[str], list[float]]:
    return train_reader.groups_of({"sentences": example.sentences, "positive": example.positive,
                                   "answers": example.answers, "hard": example.hard}, rng)


def measure(head, dev: list, features: dict) -> dict:
    import torch

    head.eval()
    rows: dict[str, dict[str, list]] = {}
    with torch.inference_mode():
        for e in dev:
            pairs = [(e.question, s) for s in e.sentences]
            q, qm, d, dm, cos = batch_of(pairs, features)
            scores = head(q, qm, d, dm, cos).numpy()
            row = rows.setdefault(e.source, {"cos": [], "head": [], "cos_pairs": [],
                                             "head_pairs": []})
            row["cos"].append(int(np.argmax(cos.numpy())) == e.positive)
            row["head"].append(int(np.argmax(scores)) == e.positive)
            row["cos_pairs"] += [(float(c), i == e.positive) for i, c in enumerate(cos.numpy())]
            row["head_pairs"] += [(float(c), i == e.positive) for i, c in enumerate(scores)]
    return {source: {"questions": len(r["cos"]),
                     "accuracy@1_cosine": round(float(np.mean(r["cos"])), 4),
                     "accuracy@1_head": round(float(np.mean(r["head"])), 4),
                     "pooled_auc_cosine": round(pooled_auc(r["cos_pairs"]), 4),
                     "pooled_auc_head": round(pooled_auc(r["head_pairs"]), 4)}
            for source, r in sorted(rows.items())}


CHECKPOINT_IGNORES = ("work", "epochs", "out", "candidates", "features_only", "export",
                      "every", "stop_after")


def sibling_questions(train: list, count: int, seed: int) -> dict[str, list[str]]:
    """Per training question (by id) up to ``count`` other questions on its paragraph
    that its positive sentence does not answer (bench/train_query_adapter.py's draw)."""
    from dataclasses import asdict

    rows = [asdict(e) for e in train]
    attach_siblings(rows, count, seed)
    return {row["qid"]: row["siblings"] for row in rows}


def sibling_loss(head, question: str, positive: str, siblings: list[str], features: dict,
                 pairs_in_batch: int, questions: int):
    """The positive sentence must score higher with its own question than with each
    sibling (softmax over the questions, own first), and each sibling pair below the
    cut (binary cross-entropy, label 0), weighted as the group's terms are."""
    import torch

    logits = head(*batch_of([(q, positive) for q in (question, *siblings)], features))
    negatives = torch.nn.functional.binary_cross_entropy_with_logits(
        logits[1:], torch.zeros(len(siblings)), reduction="sum") / pairs_in_batch
    return negatives - torch.log_softmax(logits, 0)[0] / questions


def train_epochs(head, train: list, dev: list, features: dict, args: argparse.Namespace,
                 checkpoint: Path) -> list[dict]:
    """Train ``head`` for ``args.epochs`` epochs and return the history (development
    figures before training and after each epoch). Every ``args.every`` steps and after
    each epoch the head, the optimiser, both random generators and where the epoch in
    progress stands (its order, its step, its loss so far) are written to
    ``checkpoint`` (atomically), and a run that finds one goes on from it: an epoch of
    the joint head takes 24 min on two cores, and a resumed run ends where an unbroken
    one would, to the bit. ``args.stop_after`` steps end a run early, as an
    interruption would (the history then ends before ``args.epochs``). A checkpoint
    made with other settings (``args`` but those in CHECKPOINT_IGNORES) is refused."""
    import torch
    from tqdm import tqdm

    settings = train_reader.resume_settings(args, CHECKPOINT_IGNORES)
    trained = [p for p in head.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed)
    siblings = sibling_questions(train, args.siblings, args.seed) if args.siblings else {}
    if siblings:
        print(f"{sum(map(bool, siblings.values()))} training questions with siblings",
              file=sys.stderr)
    progress: dict | None = None  # the epoch in progress, where a checkpoint left it
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        train_reader.refuse_other_settings(checkpoint, saved["settings"], settings,
                                           "--out or --work")
        head.load_state_dict(saved["head"])
        optimizer.load_state_dict(saved["optimizer"])
        rng.setstate(saved["rng"])
        torch.set_rng_state(saved["torch_rng"])
        history, progress = saved["history"], saved.get("progress")
        where = f", step {progress['step']}" if progress else ""
        print(f"resuming after epoch {history[-1]['epoch']}{where}", file=sys.stderr)
    else:
        history = [{"epoch": 0, **measure(head, dev, features)}]
        print(history[-1], file=sys.stderr)

    def save(at: dict | None) -> None:
        _save({"settings": settings, "head": head.state_dict(),
               "optimizer": optimizer.state_dict(), "rng": rng.getstate(),
               "torch_rng": torch.get_rng_state(), "history": history, "progress": at},
              checkpoint)

    elapsed = progress["seconds"] if progress else history[-1].get("seconds", 0)
    started = time.perf_counter() - elapsed
    steps_run = 0
    for epoch in range(history[-1]["epoch"] + 1, args.epochs + 1):
        head.train()
        if progress is not None and progress["epoch"] == epoch:
            order, first, total = progress["order"], progress["step"], progress["total"]
        else:
            order = list(range(len(train)))
            rng.shuffle(order)
            first, total = 0, 0.0
        steps = (len(order) + args.batch - 1) // args.batch
        for step in tqdm(range(first, steps), initial=first, total=steps, desc=f"epoch {epoch}",
                         unit="step", file=sys.stderr, mininterval=10):
            picked = [train[j] for j in order[step * args.batch:(step + 1) * args.batch]]
            grouped = [(e.question, *groups(e, rng), siblings.get(e.qid, [])) for e in picked]
            pairs_in_batch = sum(len(sentences) + len(sibs) for _, sentences, _, sibs in grouped)
            optimizer.zero_grad()
            # The batch's loss (binary cross-entropy over all its pairs, plus the mean of its
            # questions' listwise terms) is a sum over questions, so its gradient is gathered
            # one question at a time: a batch of 16 long Wikipedia groups through four
            # layers held more than 24 GiB of activations at once and was killed.
            for question, sentences, marks, sibs in grouped:
                logits = head(*batch_of([(question, s) for s in sentences], features))
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, torch.tensor(marks), pos_weight=torch.tensor(3.0),
                    reduction="sum") / pairs_in_batch
                loss = loss - torch.log_softmax(logits, 0)[0] / len(grouped)
                if sibs:
                    loss = loss + sibling_loss(head, question, sentences[0], sibs, features,
                                               pairs_in_batch, len(grouped))
                loss.backward()
                total += float(loss.detach())
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optimizer.step()
            steps_run += 1
            stopping = bool(args.stop_after) and steps_run >= args.stop_after
            if step + 1 < steps and (stopping or (args.every and (step + 1) % args.every == 0)):
                save({"epoch": epoch, "step": step + 1, "order": order, "total": total,
                      "seconds": round(time.perf_counter() - started)})
            if stopping and step + 1 < steps:
                print(f"stopped at epoch {epoch}, step {step + 1}; the same command resumes",
                      file=sys.stderr)
                return history
        history.append({"epoch": epoch, "loss": round(total / (len(order) / args.batch), 4),
                        "seconds": round(time.perf_counter() - started),
                        **measure(head, dev, features)})
        print(history[-1], file=sys.stderr)
        progress = None
        save(None)
        if args.stop_after and steps_run >= args.stop_after and epoch < args.epochs:
            print(f"stopped after epoch {epoch}; the same command resumes", file=sys.stderr)
            return history
    return history


class LateReader:
    """The trained head as an engine Reader (retrieval/reader.py's interface), for the
    development sets: each sentence's token states are computed when first read and
    kept (an index would keep them), the question's on every call. Its probabilities
    order the quotes it read (``orders``), as measured before the shipped reader, which
    only decides abstention."""

    candidates: int | None = None
    orders = True

    def __init__(self, head, name: str, join: int | None = None) -> None:
        from isnad.embeddings.fetch import ensure_embeddinggemma
        from isnad.embeddings.query_adapter import resolve
        from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder
        from isnad.settings import Settings

        base_dir = ensure_embeddinggemma(Settings().index_home.models_dir)
        self.encoder = SentenceTransformerEncoder(base_dir, name="embeddinggemma",
                                                  query_adapter=resolve("auto", "embeddinggemma"))
        self.head, self.name = head.eval(), name
        self.prompts = self.encoder.settings()
        self.docs: dict[str, tuple] = {}
        self.states = states_of(join)

    def score(self, question: str, sentences) -> np.ndarray:
        import torch

        new = [s for s in dict.fromkeys(sentences) if s not in self.docs]
        if new:
            states, vectors = self.states(self.encoder, new, str(self.prompts["document_prompt"]))
            self.docs.update({t: (s, v, v) for t, s, v in zip(new, states, vectors, strict=True)})
        (q_state,), _ = self.states(self.encoder, [question], str(self.prompts["query_prompt"]))
        adapted = self.encoder.encode_queries([question])[0]
        features = {"query": {question: (q_state, None, adapted)}, "doc": self.docs}
        with torch.inference_mode():
            logits = self.head(*batch_of([(question, s) for s in sentences], features))
        return torch.sigmoid(logits).numpy()

    def describe(self) -> dict[str, object]:
        return {"name": self.name}


def export(head, args: argparse.Namespace, history: list[dict]) -> None:
    """The trained joint head as a reader folder: peft's adapter files for the top
    layers, the head's own weights (safetensors) and a manifest naming the base
    weights, data, command and development figures."""
    import peft
    import torch
    import transformers

    from isnad.embeddings.fetch import HUB_NAME, ensure_embeddinggemma, sha256_of
    from isnad.embeddings.query_adapter import BUNDLED as QUERY_ADAPTER
    from isnad.retrieval.joint_reader import save_reader
    from isnad.retrieval.reader import JOINT
    from isnad.settings import Settings

    details = {
        "data": {name: {"path": str(path.relative_to(ROOT.parent)), "sha256": sha256_of(path)}
                 for name, path in train_reader.SOURCES.items()},
        "command": " ".join(["python bench/late_interaction.py", *sys.argv[1:]]),
        "settings": {k: v for k, v in vars(args).items()
                     if k not in {"work", "export", "features_only"}},
        "train_seconds": history[-1].get("seconds"),
        "hardware": f"{platform.machine()}, {os.cpu_count()} cores, cpu",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "peft": peft.__version__},
        "development": history[-1], "made": time.strftime("%Y-%m-%d"),
    }
    base_dir = ensure_embeddinggemma(Settings().index_home.models_dir)
    # The cosine the head adds is the question's through the shipped query adapter
    # (build_features): the reader refuses an encoder without it.
    save_reader(head, args.export, HUB_NAME, base_dir, args.join, args.candidates,
                QUERY_ADAPTER, name=JOINT, **details)


def development_sets(head, name: str, candidates: int, join: int | None = None,
                     shipped=None) -> dict:
    """Isnad's own development set and the news development set (bench/news_dev.py)
    through the engine (adapted first stage), without and with the head as reader:
    answer-in-quote@3, and abstention at a cut on the best score fitted on the own set
    to answer 96 % of its answerable questions (as bench/calibrate.py fits it), the
    same cut then applied to the news set."""
    from dataclasses import replace

    from news_dev import materialise

    from isnad.app import load_encoder
    from isnad.evaluate import ask_one, eval_home, figures, load_dataset
    from isnad.retrieval.engine import Engine
    from isnad.retrieval.local import LocalIndex, build_index
    from isnad.settings import Settings

    settings = Settings(model="embeddinggemma", reader="none", query_adapter="auto")
    reader = shipped or LateReader(head, name, join)
    encoder = load_encoder(settings)
    news_work = settings.home / "news-dev"
    news_work.mkdir(parents=True, exist_ok=True)
    news_articles, news_questions = materialise(news_work)
    sets = {"own": load_dataset(ROOT / "bench" / "data" / "calibration.jsonl", None, []),
            "news": load_dataset(news_questions, None, [news_articles])}
    homes = {}
    for label, (articles, _) in sets.items():
        homes[label] = eval_home(settings, articles, encoder.name)
        if not homes[label].exists():
            build_index(homes[label], articles, encoder)
    out: dict[str, dict] = {"own": {}, "news": {}}
    for label in ("first stage", name):
        cut = None
        for set_name in ("own", "news"):
            engine = Engine(LocalIndex(homes[set_name]), encoder)
            if label == name:
                tuned = replace(engine.settings, reader_candidates=candidates,
                                reader_weight=1.0)
                engine = Engine(LocalIndex(homes[set_name]), encoder, settings=tuned,
                                reader=reader)  # type: ignore[arg-type]
            started = time.perf_counter()
            rows = [ask_one(engine, q, 3) for q in sets[set_name][1]]
            report = figures(rows, 3)
            best = sorted(r["best_similarity"] for r in rows if r["answerable"])
            if cut is None:
                cut = best[int(0.04 * len(best))]  # the 96 % of answerable questions above it
            pairs = [(r["best_similarity"], r["answerable"]) for r in rows]
            out[set_name][label] = {
                "answer_in_quote@3": report["answer_in_quote@3"],
                "gold_article_in_quotes@3": report["gold_article_in_quotes@3"],
                "misses": [r["id"] for r in rows if r["outcome"] == "miss"],
                "cut_answering_96%_of_own": round(cut, 4),
                "answerable_below_cut": sum(b < cut for b in best),
                "answerable": len(best),
                "unanswerable_below_cut": sum(r["best_similarity"] < cut for r in rows
                                              if not r["answerable"]),
                "unanswerable": sum(not r["answerable"] for r in rows),
                "unanswerable_answered": [r["id"] for r in rows if not r["answerable"]
                                          and r["best_similarity"] >= cut],
                "best_score_auc": round(pooled_auc(pairs), 4),
                "seconds": round(time.perf_counter() - started, 1)}
            print(set_name, label, out[set_name][label], file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--head", choices=("maxsim", "cross", "joint"), default="cross")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--join", type=int, default=20,
                        help="joint head: the first of EmbeddingGemma's 24 layers it runs")
    parser.add_argument("--rank", type=int, default=16, help="joint head: LoRA rank")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch", type=int, default=16, help="questions per step")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--siblings", type=int, default=0,
                        help="read each positive with up to this many other questions on its "
                             "paragraph, as negatives (0: none)")
    parser.add_argument("--features-only", action="store_true")
    parser.add_argument("--every", type=int, default=20,
                        help="steps between checkpoints inside an epoch (0: after each epoch)")
    parser.add_argument("--stop-after", type=int, default=0,
                        help="stop after this many steps, checkpointed (0: run to the end)")
    parser.add_argument("--candidates", type=int, default=12,
                        help="sentences the head reads on the development sets")
    parser.add_argument("--out", default="")
    parser.add_argument("--export", type=Path, nargs="?", const=EXPORT, default=None,
                        help="joint head: write the trained reader (peft adapter, head, "
                             "manifest) to this folder (default: the package's "
                             f"{EXPORT.relative_to(ROOT)}) and measure the development sets "
                             "through it")
    args = parser.parse_args()

    import torch

    from isnad.settings import Settings

    work = args.work or Settings().home / "train-reader"
    work.mkdir(parents=True, exist_ok=True)
    print("1/3 features", file=sys.stderr)
    join = args.join if args.head == "joint" else None
    features = build_features(work / ("late-features.pt" if join is None
                                      else f"late-features-layer{join}.pt"), join)
    if args.features_only:
        return
    train = [e for e in features["examples"] if e.split == "train"]
    dev = [e for e in features["examples"] if e.split == "dev" and len(e.sentences) > 1]
    torch.manual_seed(args.seed)
    head = make_head(args.head, args.dim, args.join, args.rank)
    name = f"late-interaction-{args.head}" + (f"-{args.out}" if args.out else "")
    print(f"2/3 training the {args.head} head on {len(train)} questions", file=sys.stderr)
    history = train_epochs(head, train, dev, features, args, work / f"{name}.checkpoint.pt")
    if history[-1]["epoch"] < args.epochs:  # --stop-after: checkpointed, resumed next time
        return
    reader = None
    if args.export is not None:
        if args.head != "joint":
            parser.error("--export writes a joint head only")
        export(head, args, history)
        from isnad.app import load_encoder
        from isnad.retrieval.joint_reader import JointReader

        encoder = load_encoder(Settings(model="embeddinggemma", reader="none",
                                        query_adapter="auto"))
        reader = JointReader(args.export, encoder)  # the shipped files, as a user loads them
        print(f"wrote {args.export}", file=sys.stderr)
    print("3/3 own and news development sets", file=sys.stderr)
    development = development_sets(head, name, args.candidates, join, reader)
    # A checkpoint read with another number of candidates (no training: it resumes
    # past its last epoch) gets its own file, so no recorded figure is overwritten.
    reads = f"-k{args.candidates}" if args.candidates != 12 else ""
    result = ROOT / "bench" / "results" / f"{name}{reads}.json"
    from isnad import __version__

    result.write_text(json.dumps({"model": "embeddinggemma", "query_adapter": "isnad-gemma-query",
                                  "isnad_version": __version__,
                                  "date": time.strftime("%Y-%m-%d"),
                                  "settings": {k: str(v) for k, v in vars(args).items()
                                               if k != "work"},
                                  "history": history, "development_sets": development,
                                  "parameters": sum(p.numel() for p in head.parameters()
                                                    if p.requires_grad)},
                                 indent=2) + "\n")
    print(f"wrote {result}", file=sys.stderr)


if __name__ == "__main__":
    main()
