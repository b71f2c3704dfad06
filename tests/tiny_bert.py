"""A tiny BERT (2 layers, hidden 32) built locally: the stand-in for BERTje in tests.

It goes through the same code path as a hub model (a folder with ``config.json``,
safetensors weights and a fast tokenizer), so no test touches the network.
"""

from __future__ import annotations

import random
from pathlib import Path

TOPICS = {
    "sport": ["voetbal", "wedstrijd", "doelpunt", "scheidsrechter", "elftal", "stadion", "trainer"],
    "politiek": ["minister", "kabinet", "verkiezing", "partij", "stemming", "kamer", "coalitie"],
    "weer": ["regen", "zon", "storm", "temperatuur", "wolken", "sneeuw", "wind"],
}
FILLER = ["de", "het", "een", "was", "vandaag", "gisteren", "erg", "veel", "in", "op", "met"]


def sentences(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = sorted(TOPICS)[i % len(TOPICS)]
        words = rng.choices(TOPICS[label], k=3) + rng.choices(FILLER, k=4)
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, labels


def build_tiny_bert(folder: Path) -> Path:
    """Train a WordPiece vocabulary on Dutch topic sentences; save a random tiny BERT."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    corpus, _ = sentences(120, seed=99)
    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=False)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece.train_from_iterator(
        corpus, trainers.WordPieceTrainer(vocab_size=500, special_tokens=specials)
    )
    cls, sep = wordpiece.token_to_id("[CLS]"), wordpiece.token_to_id("[SEP]")
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    tokenizer = transformers.BertTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = transformers.BertConfig(
        vocab_size=wordpiece.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
