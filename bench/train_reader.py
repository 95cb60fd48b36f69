"""Train Isnad's reader (retrieval/reader.py) from public Arabic QA, resumably.

Usage: python bench/train_reader.py [--layers 12] [--epochs 2] [--work DIR] [--out DIR]
                                    [--max-steps N] [--device cpu|cuda]

One command does everything, and running it again after an interruption continues
where it stopped (CPU training takes hours on 2 cores):

1. examples: questions from TyDi QA GoldP (Arabic dev), ARCD (train) and the training
   half of XQuAD (Arabic and English questions over Arabic paragraphs; split by
   article: the first 24 of 48 train, the other 24 are held out for reporting). TyDi
   and ARCD keep a development part (20 % of articles, chosen by a hash of the
   title). Contexts are split by Isnad's own segmenter; the positive is the sentence
   holding the answer span; negatives are the paragraph's other sentences and the
   first stage's hardest sentences elsewhere (EmbeddingGemma similarity), never one
   that contains an answer. Written once to WORK/examples.jsonl.
2. train: LoRA (q/k/v/o and MLP projections) + a one-logit head over EmbeddingGemma's
   first ``--layers`` layers; per question a group of one positive and up to five
   negatives; loss = binary cross-entropy (the probability the engine abstains on)
   + softmax cross-entropy over the group (the order). A checkpoint is written
   atomically to WORK/checkpoint-lL-rR.pt every ``--every`` steps and at each epoch end.
3. export: the adapter (peft's own files) into OUT with manifest.json: base model and
   its SHA-256, data files and their SHA-256, the command, settings, time, hardware,
   and accuracy@1 on the development part, bi-encoder vs reader.

Data come from ../shared/data and are never copied into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SOURCES = {
    "tydi": DATA / "arabic-qa" / "tydiqa-goldp-dev-arabic.json",
    "arcd": DATA / "arabic-qa" / "arcd-train.json",
    "xquad-ar": DATA / "xquad" / "xquad.ar.json",
    "xquad-en": DATA / "xquad" / "xquad.en.json",
}
DEV_SHARE = 0.2
XQUAD_TRAIN_ARTICLES = 24
GROUP = 6  # one positive + up to five negatives


@dataclass
class Example:
    qid: str
    source: str
    split: str  # train | dev | heldout
    question: str
    answers: list[str]
    sentences: list[str]  # of the gold paragraph
    positive: int  # index into sentences
    hard: list[str] = field(default_factory=list)  # first-stage negatives elsewhere


def xquad_split(article_index: int) -> str:
    return "train" if article_index < XQUAD_TRAIN_ARTICLES else "heldout"


def title_split(title: str) -> str:
    bucket = int(hashlib.sha256(title.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "dev" if bucket < DEV_SHARE else "train"


def _answer_sentence(context: str, spans: list, answer: dict) -> int | None:
    start = int(answer["answer_start"])
    text = answer["text"]
    if context[start:start + len(text)] != text:  # a few offsets are off: find it
        found = context.find(text)
        if found < 0:
            return None
        start = found
    for i, span in enumerate(spans):
        if span.start <= start < span.end:
            return i
    return None


def read_examples() -> tuple[list[Example], dict[str, list[str]]]:
    """Every question with its paragraph's sentences and the positive's index; and per
    (source, split) the pool of sentences hard negatives may come from."""
    from isnad.corpus.sentences import split_sentences

    examples: list[Example] = []
    pools: dict[str, list[str]] = {}
    english = {qa["id"]: qa["question"]
               for entry in json.loads(SOURCES["xquad-en"].read_text())["data"]
               for p in entry["paragraphs"] for qa in p["qas"]}
    for source in ("tydi", "arcd", "xquad-ar"):
        data = json.loads(SOURCES[source].read_text(encoding="utf-8"))["data"]
        for number, entry in enumerate(data):
            split = xquad_split(number) if source == "xquad-ar" else \
                title_split(entry.get("title", str(number)))
            for paragraph in entry["paragraphs"]:
                context = paragraph["context"]
                spans = split_sentences(context)
                sentences = [context[s.start:s.end] for s in spans]
                key = f"{source}/{split}"
                pools.setdefault(key, []).extend(sentences)
                for qa in paragraph["qas"]:
                    if not qa.get("answers"):
                        continue
                    positive = _answer_sentence(context, spans, qa["answers"][0])
                    if positive is None:
                        continue
                    answers = sorted({a["text"].strip() for a in qa["answers"]})
                    asked = [(source, qa["question"].strip(" -\n"))]
                    if source == "xquad-ar":
                        asked = [("xquad-ar", qa["question"]), ("xquad-en", english[qa["id"]])]
                    for name, question in asked:
                        examples.append(Example(f"{name}:{qa['id']}", name, split, question,
                                                answers, sentences, positive))
    return examples, pools


def add_hard_negatives(examples: list[Example], pools: dict[str, list[str]],
                       encoder, per_question: int = 3) -> None:
    """The first stage's closest sentences outside the gold paragraph, for training
    examples (dev and held-out ones are only ever scored inside their paragraph)."""
    from tqdm import tqdm

    for key, members in training_pools(examples).items():
        pool = sorted(set(pools[key]))
        print(f"embedding {len(pool)} sentences and {len(members)} questions of {key}",
              file=sys.stderr)
        docs = _embed_cached(encoder, pool, key + " sentences")
        queries = encoder.encode_queries([e.question for e in tqdm(
            members, desc=f"{key} questions", unit="q", file=sys.stderr, mininterval=5)])
        for e, row in zip(members, queries @ docs.T, strict=True):
            take_hard_negatives(e, row, pool, per_question)


def training_pools(examples: list[Example]) -> dict[str, list[Example]]:
    """Training examples by the pool their hard negatives come from (an English XQuAD
    question draws from the Arabic paragraphs it is asked over)."""
    by_pool: dict[str, list[Example]] = {}
    for e in examples:
        if e.split == "train":
            by_pool.setdefault(f"{e.source.replace('-en', '-ar')}/train", []).append(e)
    return by_pool


def take_hard_negatives(example: Example, similarities: np.ndarray, pool: list[str],
                        per_question: int = 3) -> None:
    """``example.hard``: the pool's closest sentences by ``similarities`` (one per pool
    sentence), never one of the gold paragraph's nor one holding an answer."""
    own = set(example.sentences)
    example.hard = []
    for j in np.argsort(-similarities)[:60]:
        text = pool[int(j)]
        if text in own or any(a in text for a in example.answers):
            continue
        example.hard.append(text)
        if len(example.hard) == per_question:
            break


def _embed_cached(encoder, texts: list[str], what: str) -> np.ndarray:
    """Document vectors through Isnad's own embedding cache (same keys as indexing)."""

    from isnad.retrieval.embedding import EmbeddingCache, embed_texts
    from isnad.retrieval.reports import UpdateReport
    from isnad.settings import Settings

    home = Settings().index_home
    cache = EmbeddingCache(EmbeddingCache.path_for(home.cache_dir, encoder.fingerprint()),
                           encoder.dim)
    try:
        print(f"embedding {what}", file=sys.stderr)
        return embed_texts(texts, encoder, cache, UpdateReport(), progress=True)
    finally:
        cache.close()


def build_examples(path: Path, base_dir: Path) -> None:
    from isnad.embeddings.sentence_transformers import SentenceTransformerEncoder

    examples, pools = read_examples()
    encoder = SentenceTransformerEncoder(base_dir, name="embeddinggemma")
    add_hard_negatives(examples, pools, encoder)
    # Bi-encoder choice inside the gold paragraph: the baseline the reader must beat.
    scored = [e for e in examples if e.split != "train"]
    texts = sorted({s for e in scored for s in e.sentences})
    vectors = dict(zip(texts, _embed_cached(encoder, texts, "dev sentences"), strict=True))
    queries = encoder.encode_queries([e.question for e in scored])
    baseline = {e.qid: int(np.argmax(np.stack([vectors[s] for s in e.sentences]) @ q))
                for e, q in zip(scored, queries, strict=True)}
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for e in examples:
            row = asdict(e)
            row["bi_encoder_choice"] = baseline.get(e.qid)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def load_examples(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def groups_of(example: dict, rng: random.Random) -> tuple[list[str], list[float]]:
    """One question's training pairs: the positive, the paragraph's other sentences
    (hardest first is not known without the model, so a random draw), and the hard
    negatives from elsewhere."""
    sentences = example["sentences"]
    positive = sentences[example["positive"]]
    own = [s for i, s in enumerate(sentences) if i != example["positive"]
           and s != positive and not any(a in s for a in example["answers"])]
    rng.shuffle(own)
    negatives = (example["hard"] + own)[: GROUP - 1]
    if len(negatives) < GROUP - 1:
        negatives = (own + example["hard"])[: GROUP - 1]
    return [positive, *negatives], [1.0] + [0.0] * len(negatives)


class Trainer:
    def __init__(self, args: argparse.Namespace, base_dir: Path) -> None:
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoTokenizer

        from isnad.retrieval.reader import truncated_classifier

        self.torch, self.args = torch, args
        self.device = torch.device(args.device)
        torch.manual_seed(args.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(base_dir)
        model = truncated_classifier(base_dir, args.layers)
        config = LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.05,
                            task_type="SEQ_CLS",
                            target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                            "gate_proj", "up_proj", "down_proj"])
        self.model = get_peft_model(model, config).to(self.device)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)

    def encode(self, question: str, sentences: list[str]):
        from isnad.retrieval.reader import MAX_PAIR_TOKENS, clip_tokens, pair

        question = clip_tokens(self.tokenizer, question, 64)
        firsts, seconds = zip(*(pair(question, s) for s in sentences), strict=True)
        return self.tokenizer(list(firsts), list(seconds), padding=True,
                              truncation="only_second", max_length=MAX_PAIR_TOKENS,
                              return_tensors="pt").to(self.device)

    def scores(self, question: str, sentences: list[str]) -> np.ndarray:
        torch = self.torch
        self.model.eval()
        with torch.inference_mode():
            out = []
            for i in range(0, len(sentences), 16):
                out.append(self.model(**self.encode(question, sentences[i:i + 16]))
                           .logits[:, 0].float().cpu().numpy())
        return np.concatenate(out)

    def step(self, batch: list[tuple[str, list[str], list[float]]], lr: float) -> float:
        torch = self.torch
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        total = 0.0
        for question, sentences, labels in batch:
            logits = self.model(**self.encode(question, sentences)).logits[:, 0]
            target = torch.tensor(labels, device=self.device)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, pos_weight=torch.tensor(3.0, device=self.device))
            listwise = -torch.log_softmax(logits, 0)[0]
            loss = (bce + listwise) / len(batch)
            loss.backward()
            total += float(loss)
        torch.nn.utils.clip_grad_norm_(
            [p for p in self.model.parameters() if p.requires_grad], 1.0)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return total

    def save(self, path: Path, state: dict) -> None:
        from peft import get_peft_model_state_dict

        tmp = path.with_suffix(".tmp")
        self.torch.save({"adapter": get_peft_model_state_dict(self.model),
                         "optimizer": self.optimizer.state_dict(),
                         "rng": self.torch.get_rng_state(), **state}, tmp)
        os.replace(tmp, path)

    def load(self, path: Path) -> dict:
        from peft import set_peft_model_state_dict

        saved = self.torch.load(path, map_location=self.device, weights_only=False)
        set_peft_model_state_dict(self.model, saved.pop("adapter"))
        self.optimizer.load_state_dict(saved.pop("optimizer"))
        self.torch.set_rng_state(saved.pop("rng"))
        return saved


def accuracy_at_1(trainer: Trainer, examples: list[dict]) -> dict[str, dict[str, float]]:
    """Inside the gold paragraph: is the top sentence the one with the answer?"""
    from tqdm import tqdm

    by_source: dict[str, list[tuple[bool, bool]]] = {}
    for e in tqdm(examples, desc="development", unit="q", file=sys.stderr, mininterval=5):
        if len(e["sentences"]) < 2:
            continue
        reader = int(np.argmax(trainer.scores(e["question"], e["sentences"])))
        by_source.setdefault(e["source"], []).append(
            (e["bi_encoder_choice"] == e["positive"], reader == e["positive"]))
    return {source: {"questions": len(rows),
                     "bi_encoder": round(sum(b for b, _ in rows) / len(rows), 4),
                     "reader": round(sum(r for _, r in rows) / len(rows), 4)}
            for source, rows in sorted(by_source.items())}


def export(trainer: Trainer, args: argparse.Namespace, base_dir: Path, out: Path,
           state: dict, dev: dict) -> None:
    import peft
    import torch
    import transformers

    from isnad.embeddings.fetch import HUB_NAME, save_peft_adapter
    from isnad.retrieval.reader import sha256_of, write_manifest

    out.mkdir(parents=True, exist_ok=True)
    save_peft_adapter(trainer.model, out, HUB_NAME)
    write_manifest(
        out, "google/embeddinggemma-300m", base_dir, args.layers,
        name=f"isnad-gemma-l{args.layers}",
        data={name: {"path": str(path.relative_to(ROOT.parent)), "sha256": sha256_of(path)}
              for name, path in SOURCES.items()},
        splits={"xquad": f"articles 0-{XQUAD_TRAIN_ARTICLES - 1} train, the rest held out",
                "tydi, arcd": f"{DEV_SHARE:.0%} of titles (sha256 bucket) development"},
        command=" ".join(["python bench/train_reader.py",
                          *(a for a in sys.argv[1:] if a != "--export-only")]).strip(),
        settings={k: v for k, v in vars(args).items()
                  if k not in {"work", "out", "export_only", "threads"}},
        complete=state["step"] >= state.get("total", state["step"]),
        examples=state.get("examples"),
        steps=state["step"],
        train_seconds=round(state.get("seconds", 0.0)),
        hardware=f"{platform.machine()}, {os.cpu_count()} cores, {args.device}",
        versions={"torch": torch.__version__, "transformers": transformers.__version__,
                  "peft": peft.__version__},
        development_accuracy_at_1=dev,
        made=time.strftime("%Y-%m-%d"),
    )



#: Options that do not change what a step computes: where files go, how often a
#: checkpoint is written, when to stop early, and the epoch count (the checkpoint's
#: name holds it).
RESUME_IGNORES = frozenset({"work", "out", "results", "every", "max_steps", "device",
                            "threads", "export_only", "epochs"})


def resume_settings(args: argparse.Namespace, ignored: Iterable[str]) -> dict[str, str]:
    """The settings a checkpoint records: ``args`` but the ``ignored`` ones."""
    skip = set(ignored)
    return {k: str(v) for k, v in sorted(vars(args).items()) if k not in skip}


def refuse_other_settings(checkpoint: Path, saved: dict[str, str],
                          settings: dict[str, str], elsewhere: str = "--work") -> None:
    """Going on from a checkpoint made with other settings would label its weights with
    settings they were not trained with: one line naming what differs instead. A
    setting the checkpoint does not record is an option added to the script after it
    was made, which it was made without: not held against it (run at a value other
    than its default, the option names another checkpoint file or changes a recorded
    setting)."""
    changed = sorted(k for k in saved.keys() | settings.keys()
                     if k in saved and settings.get(k) != saved[k])
    if not changed:
        return
    raise SystemExit(f"{checkpoint} was made with other settings ("
                     + ", ".join(f"{k} {saved.get(k)}" for k in changed)
                     + f"); remove it, or pass another {elsewhere}")


def train_resumably(trainer: Any, checkpoint: Path, examples: int, args: argparse.Namespace,
                    step: Callable[[list[int], int, float], float], *, warmup_share: int,
                    train: bool = True) -> dict:
    """Run ``args.epochs`` epochs of ``args.batch`` examples from where ``checkpoint``
    left off and return the state ({"step", "seconds", ...}).

    Each epoch's order is drawn from ``args.seed + epoch``, so a resumed run takes the
    same batches as one that was never stopped. ``step(indices, step number, lr)`` trains
    one batch and returns its loss; the learning rate warms up over 1/``warmup_share`` of
    the steps, then falls linearly to 0. The trainer's ``save`` writes the checkpoint
    (atomically) every ``args.every`` steps, at each epoch's end and at the end, so an
    interruption loses at most ``args.every`` steps.

    The checkpoint records the settings that shape the weights (``args`` but those in
    RESUME_IGNORES); one made with other settings is refused, since going on from it
    would give figures labelled with settings they were not trained with (the
    checkpoint's name holds only some of them)."""
    from tqdm import tqdm

    steps_per_epoch = (examples + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    settings = resume_settings(args, RESUME_IGNORES)
    state = {"step": 0, "seconds": 0.0, "examples": examples, "total": total,
             "settings": settings}
    if checkpoint.exists():
        state = trainer.load(checkpoint)
        # older checkpoints recorded none: they are taken as made with these
        refuse_other_settings(checkpoint, state.setdefault("settings", settings), settings)
        state["total"] = total
        print(f"resuming at step {state['step']} of {total}", file=sys.stderr)
    if not train:
        return state
    warmup = max(1, total // warmup_share)
    print("2/3 training", file=sys.stderr)
    started = time.perf_counter() - state["seconds"]
    with tqdm(total=total, initial=state["step"], desc="training", unit="step",
              file=sys.stderr, mininterval=10) as bar:
        while state["step"] < total:
            if args.max_steps is not None and state["step"] >= args.max_steps:
                break
            epoch, offset = divmod(state["step"], steps_per_epoch)
            order = random.Random(args.seed + epoch).sample(range(examples), examples)
            number = state["step"]
            lr = args.lr * min(1.0, (number + 1) / warmup) * max(0.0, (total - number) / total)
            loss = step(order[offset * args.batch:(offset + 1) * args.batch], number, lr)
            state["step"] += 1
            state["seconds"] = time.perf_counter() - started
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", epoch=epoch + 1, refresh=False)
            if state["step"] % args.every == 0 or state["step"] % steps_per_epoch == 0:
                trainer.save(checkpoint, state)
    trainer.save(checkpoint, state)
    return state

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--batch", type=int, default=2, help="questions per step")
    parser.add_argument("--every", type=int, default=50, help="steps between checkpoints")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-steps", type=int, default=None, help="stop early (smoke test)")
    parser.add_argument("--export-only", action="store_true",
                        help="export the latest checkpoint as it is (no training)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if any)")
    parser.add_argument("--work", type=Path, default=None,
                        help="examples and checkpoints (default: ISNAD_HOME/train-reader)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the adapter goes (default: the package's "
                             "retrieval/readers/isnad-gemma)")
    args = parser.parse_args()

    import torch

    from isnad.embeddings.fetch import ensure_embeddinggemma
    from isnad.settings import Settings

    if args.threads:
        torch.set_num_threads(args.threads)
    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    settings = Settings()
    base_dir = ensure_embeddinggemma(settings.index_home.models_dir)
    work = args.work or settings.home / "train-reader"
    work.mkdir(parents=True, exist_ok=True)
    out = args.out or ROOT / "retrieval" / "readers" / "isnad-gemma"
    examples_path = work / "examples.jsonl"
    if not examples_path.exists():
        print("1/3 building training examples (first-stage hard negatives)", file=sys.stderr)
        build_examples(examples_path, base_dir)
    examples = load_examples(examples_path)
    train = [e for e in examples if e["split"] == "train"]
    dev = [e for e in examples if e["split"] == "dev"]
    print(f"{len(train)} training questions, {len(dev)} development questions",
          file=sys.stderr)

    trainer = Trainer(args, base_dir)
    checkpoint = work / f"checkpoint-l{args.layers}-r{args.rank}.pt"

    def reader_step(picked: list[int], step: int, lr: float) -> float:
        rng = random.Random(args.seed * 1000 + step)
        return trainer.step([(train[i]["question"], *groups_of(train[i], rng))
                             for i in picked], lr)

    state = train_resumably(trainer, checkpoint, len(train), args, reader_step,
                            warmup_share=20, train=not args.export_only)
    print("3/3 development accuracy and export", file=sys.stderr)
    scores = accuracy_at_1(trainer, dev)
    for source, row in scores.items():
        print(f"{source:10} {row['questions']:4} questions  bi-encoder "
              f"{row['bi_encoder']:.3f}  reader {row['reader']:.3f}", file=sys.stderr)
    export(trainer, args, base_dir, out, state, scores)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
