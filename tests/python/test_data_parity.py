"""vlq batches vs the seed's pipeline, element for element, over all 4096 real captions.

Oracle (the seed's per-sample path, using HF with the real tokenizer files):
    chat_text = tokenizer.apply_chat_template([{"role": "user", "content": [{"type": "text",
                  "text": caption}]}], tokenize=False, add_generation_prompt=True)
    ids = tokenizer(chat_text, max_length=max_seq_len, truncation=True, padding=False)
    pad_sequence(batch_first=True, padding_value=pad_token_id) / 0 for attention_mask
Exact equality (integers); the only documented difference is ``labels``: input_ids with -100
on padding (label_mode="all"), or -100 on everything but the caption and its <|im_end|>
(label_mode="caption").
"""
from __future__ import annotations

import functools

import torch
from torch.nn.utils.rnn import pad_sequence

from _data_support import CAPTIONS, MODEL_DIR, hf_chat_template, hf_tokenizer, read_captions
from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader

BATCH = 64


@functools.lru_cache(maxsize=1)
def seed_chat_texts(captions: tuple[str, ...]) -> list[str]:
    tok, template = hf_tokenizer(), hf_chat_template()
    return [
        tok.apply_chat_template(
            [{"role": "user", "content": [{"type": "text", "text": c}]}],
            tokenize=False,
            add_generation_prompt=True,
            chat_template=template,
        )
        for c in captions
    ]


def seed_batches(chat_texts: list[str], max_seq_len: int):
    tok = hf_tokenizer()
    enc = tok(chat_texts, max_length=max_seq_len, truncation=True, padding=False)
    for start in range(0, len(chat_texts), BATCH):
        ids = [torch.tensor(x, dtype=torch.long) for x in enc["input_ids"][start : start + BATCH]]
        mask = [torch.tensor(x, dtype=torch.long) for x in enc["attention_mask"][start : start + BATCH]]
        yield (
            pad_sequence(ids, batch_first=True, padding_value=tok.pad_token_id),
            pad_sequence(mask, batch_first=True, padding_value=0),
            chat_texts[start : start + BATCH],
        )


def vlq_loader(max_seq_len: int, label_mode: str = "all"):
    config = QwenCalibConfig(
        captions_path=CAPTIONS,
        max_samples=0,  # all 4096
        max_seq_len=max_seq_len,
        batch_size=BATCH,
        shuffle=False,
        eval_holdout=0,
        label_mode=label_mode,
    )
    return build_qwen_calib_dataloader(MODEL_DIR, config)


def assert_same_as_seed(max_seq_len: int) -> None:
    captions = read_captions()
    assert len(captions) == 4096
    chat_texts = seed_chat_texts(tuple(captions))
    loader = vlq_loader(max_seq_len)
    assert len(loader.dataset) == 4096
    n_batches = 0
    for ours, (ids, mask, texts) in zip(loader, seed_batches(chat_texts, max_seq_len), strict=True):
        assert ours["input_ids"].dtype == torch.int64 and ours["attention_mask"].dtype == torch.int64
        assert torch.equal(ours["input_ids"], ids)
        assert torch.equal(ours["attention_mask"], mask)
        assert torch.equal(ours["labels"], ids.masked_fill(mask == 0, -100))
        assert ours["prompt_text"] == texts
        n_batches += 1
    assert n_batches == 4096 // BATCH


def test_all_4096_captions_match_seed_pipeline():
    assert_same_as_seed(max_seq_len=256)


def test_truncation_matches_hf_at_small_max_seq_len():
    # 20 tokens: the template prefix is 14, so every sample is cut in its caption or closing tokens.
    assert_same_as_seed(max_seq_len=20)


def test_caption_label_mode_matches_hf_spans():
    tok, template = hf_tokenizer(), hf_chat_template()
    captions = read_captions()
    loader = vlq_loader(max_seq_len=0, label_mode="caption")
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    rows = 0
    for batch in loader:
        for b, text in enumerate(batch["prompt_text"]):
            caption = captions[rows]
            user = {"role": "user", "content": [{"type": "text", "text": "Describe this image."}]}
            full = tok.apply_chat_template(
                [user, {"role": "assistant", "content": [{"type": "text", "text": caption}]}],
                tokenize=False, add_generation_prompt=False, chat_template=template)
            prompt = tok.apply_chat_template([user], tokenize=False, add_generation_prompt=True,
                                             chat_template=template)
            assert text == full
            want_ids = tok(full)["input_ids"]
            n_prompt = len(tok(prompt)["input_ids"])
            n = len(want_ids)
            assert batch["input_ids"][b, :n].tolist() == want_ids
            assert int(batch["attention_mask"][b].sum()) == n
            # Labels: the caption tokens and <|im_end|>; the trailing "\n" and the prompt are not scored.
            assert want_ids[-2] == im_end
            want_labels = [-100] * n_prompt + want_ids[n_prompt : n - 1] + [-100]
            assert batch["labels"][b, :n].tolist() == want_labels
            assert tok.decode(want_ids[n_prompt : n - 1]) == caption + "<|im_end|>"
            rows += 1
    assert rows == 4096
