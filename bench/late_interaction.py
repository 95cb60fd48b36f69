"""Late interaction over EmbeddingGemma's token states: does a small head that sees the
question's and the sentence's tokens together order a paragraph better than the cosine?

Usage: python bench/late_interaction.py [--work DIR] [--head maxsim|cross|joint] [--dim 128]
                                        [--join 20] [--rank 16] [--epochs 6] [--seed 13]
                                        [--siblings K] [--out NAME]

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
"""

from __future__ import annotations

import argparse
import json
import os
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
    query adapter off), every token kept, prompt and <bos> included, since the layers
    above were trained to read them (float32: some activations pass float16's range
    there), and its sentence vector as the model pools it. One forward pass gives both."""
    import torch

    states, vectors = [], []
    with torch.inference_mode(), encoder.base_model() as model:
        config = model[0].auto_model.config
        previous, config.output_hidden_states = config.output_hidden_states, True
        # sentence-transformers 6 renamed tokenize to preprocess
        prepare = getattr(model, "preprocess", None) or model.tokenize
        try:
            for i in range(0, len(texts), 16):
                features = prepare([prompt + t for t in texts[i:i + 16]])
                out = model(features)
                hidden = out["all_layer_embeddings"][layer]
                for row, mask in zip(hidden, out["attention_mask"].bool(), strict=True):
                    states.append(row[mask].float().clone())
                vectors += list(out["sentence_embedding"].float().numpy())
        finally:
            config.output_hidden_states = previous
    return states, unit_rows(vectors)


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
    from torch import nn
    from transformers import AutoModel

    from isnad.embeddings.fetch import ensure_embeddinggemma
    from isnad.settings import Settings

    base = base or ensure_embeddinggemma(Settings().index_home.models_dir)
    model = AutoModel.from_pretrained(base)
    model.embed_tokens = nn.Identity()  # inputs arrive as states; 200 M weights freed
    model.layers = nn.ModuleList(list(model.layers)[join:])
    model.config.layer_types = model.config.layer_types[join:]
    model.config.num_hidden_layers = len(model.layers)
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05,
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    return get_peft_model(model, config)


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

    class Joint(nn.Module):
        """PreTTR (MacAvaney et al., 2020): the lower layers read each text alone (as
        indexing does, so a sentence's states could be kept), the pretrained upper
        layers read both, question then sentence, one position count across them."""

        def __init__(self) -> None:
            super().__init__()
            self.top = top_layers(join, rank, base)
            self.norm = nn.LayerNorm(768)
            self.out = nn.Linear(3 * 768, 1)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)
            self.cos_weight = nn.Parameter(torch.tensor(20.0))
            self.bias = nn.Parameter(torch.tensor(-6.0))

        def forward(self, q, qmask, d, dmask, cos):
            nq, nd = qmask.sum(1).long(), dmask.sum(1).long()
            batch, longest = q.shape[0], int((nq + nd).max())
            x = q.new_zeros(batch, longest, q.shape[2])
            segment = torch.full((batch, longest), -1, dtype=torch.long, device=q.device)
            for i in range(batch):
                a, b = int(nq[i]), int(nd[i])
                x[i, :a], x[i, a:a + b] = q[i, :a], d[i, :b]
                segment[i, :a], segment[i, a:a + b] = 0, 1
            positions = torch.arange(longest, device=q.device).expand(batch, -1)
            h = self.top(inputs_embeds=x, attention_mask=(segment >= 0).long(),
                         position_ids=positions, use_cache=False).last_hidden_state

            def mean(part: int):
                keep = (segment == part).unsqueeze(-1).float()
                return self.norm((h * keep).sum(1) / keep.sum(1))

            qbar, dbar = mean(0), mean(1)
            joint = self.out(torch.cat([qbar, dbar, qbar * dbar], -1))[:, 0]
            return self.cos_weight * cos + joint + self.bias

    return {"maxsim": MaxSim, "cross": Cross, "joint": Joint}[kind]()


def batch_of(pairs: list[tuple[str, str]], features: dict):
    """Padded tensors for (question, sentence) pairs, and the adapted cosine."""
    import torch

    def pad(states: list):
        longest = max(len(s) for s in states)
        x = torch.zeros(len(states), longest, 768)
        m = torch.zeros(len(states), longest, dtype=torch.bool)
        for i, s in enumerate(states):
            x[i, :len(s)] = s.float()
            m[i, :len(s)] = True
        return x, m

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


CHECKPOINT_IGNORES = ("work", "epochs", "out", "candidates", "features_only")


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
    figures before training and after each epoch). After each epoch the head, the
    optimiser and both random generators are written to ``checkpoint`` (atomically), and
    a run that finds one goes on from it: an epoch of the joint head takes 21 min on two
    cores, and a resumed run ends where an unbroken one would, to the bit. A checkpoint
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
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        train_reader.refuse_other_settings(checkpoint, saved["settings"], settings,
                                           "--out or --work")
        head.load_state_dict(saved["head"])
        optimizer.load_state_dict(saved["optimizer"])
        rng.setstate(saved["rng"])
        torch.set_rng_state(saved["torch_rng"])
        history = saved["history"]
        print(f"resuming after epoch {history[-1]['epoch']}", file=sys.stderr)
    else:
        history = [{"epoch": 0, **measure(head, dev, features)}]
        print(history[-1], file=sys.stderr)
    started = time.perf_counter() - history[-1].get("seconds", 0)
    for epoch in range(history[-1]["epoch"] + 1, args.epochs + 1):
        head.train()
        order = list(range(len(train)))
        rng.shuffle(order)
        total = 0.0
        for i in tqdm(range(0, len(order), args.batch), desc=f"epoch {epoch}", unit="step",
                      file=sys.stderr, mininterval=10):
            picked = [train[j] for j in order[i:i + args.batch]]
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
        history.append({"epoch": epoch, "loss": round(total / (len(order) / args.batch), 4),
                        "seconds": round(time.perf_counter() - started),
                        **measure(head, dev, features)})
        print(history[-1], file=sys.stderr)
        _save({"settings": settings, "head": head.state_dict(),
               "optimizer": optimizer.state_dict(), "rng": rng.getstate(),
               "torch_rng": torch.get_rng_state(), "history": history}, checkpoint)
    return history


class LateReader:
    """The trained head as an engine Reader (retrieval/reader.py's interface), for the
    development sets: each sentence's token states are computed when first read and
    kept (an index would keep them), the question's on every call."""

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


def development_sets(head, name: str, candidates: int, join: int | None = None) -> dict:
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
    reader = LateReader(head, name, join)
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
    parser.add_argument("--candidates", type=int, default=12,
                        help="sentences the head reads on the development sets")
    parser.add_argument("--out", default="")
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
    print("3/3 own and news development sets", file=sys.stderr)
    development = development_sets(head, name, args.candidates, join)
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
