"""Parity of vlq's C++ Qwen2 tokenizer with the real Hugging Face `tokenizers`/`transformers`.

Oracle: `AutoTokenizer.from_pretrained(<checkpoint>)` (Qwen2TokenizerFast built by transformers
from vocab.json + merges.txt + tokenizer_config.json). Token ids must be identical (no
tolerance: tokenization is discrete). Both vlq load paths are checked: the checkpoint's
vocab.json + merges.txt, and a tokenizer.json that transformers writes into a temp dir.
"""
from __future__ import annotations

import json
import os
import random
import unicodedata
from pathlib import Path

import pytest

from vlq import _core

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data")
CKPT = DATA / "qwen2_5_vl_3b_instruct"


@pytest.fixture(scope="module")
def hf():
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(CKPT))
    assert type(tok).__name__ == "Qwen2TokenizerFast"
    return tok


@pytest.fixture(scope="module")
def mm_template():
    return json.loads((CKPT / "chat_template.json").read_text())["chat_template"]


@pytest.fixture(scope="module")
def tokenizer_json_dir(hf, tmp_path_factory):
    out = tmp_path_factory.mktemp("qwen_tokenizer_json")
    hf.save_pretrained(str(out))
    assert (out / "tokenizer.json").exists()
    return out


@pytest.fixture(scope="module")
def vlq_slow_files():
    return _core.Tokenizer.from_directory(CKPT)


@pytest.fixture(scope="module")
def vlq_tokenizer_json(tokenizer_json_dir):
    return _core.Tokenizer.from_directory(tokenizer_json_dir)


def hf_ids(hf, texts):
    return [e.ids for e in hf.backend_tokenizer.encode_batch(texts, add_special_tokens=False)]


def assert_same_ids(vlq_tok, hf, texts, label):
    ours = vlq_tok.encode_batch(texts)
    theirs = hf_ids(hf, texts)
    bad = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert not bad, f"{label}: {len(bad)}/{len(texts)} differ; first {texts[bad[0]]!r}: vlq {ours[bad[0]][:40]} hf {theirs[bad[0]][:40]}"


def test_generated_tokenizer_json_matches_the_checkpoint_files(tokenizer_json_dir):
    """The tokenizer.json transformers builds carries exactly the checkpoint's vocab, merges and added tokens."""
    tj = json.loads((tokenizer_json_dir / "tokenizer.json").read_text())
    assert tj["model"]["vocab"] == json.loads((CKPT / "vocab.json").read_text())
    lines = [l for l in (CKPT / "merges.txt").read_text().split("\n") if l and not l.startswith("#version")]
    merges = [" ".join(m) if isinstance(m, list) else m for m in tj["model"]["merges"]]
    assert merges == lines
    cfg = json.loads((CKPT / "tokenizer_config.json").read_text())["added_tokens_decoder"]
    assert {t["id"]: (t["content"], t["special"]) for t in tj["added_tokens"]} == {
        int(k): (v["content"], v["special"]) for k, v in cfg.items()
    }


def test_metadata_matches_hf(vlq_slow_files, vlq_tokenizer_json, hf):
    for t in (vlq_slow_files, vlq_tokenizer_json):
        assert len(t) == len(hf) == 151665
        assert t.pad_token_id == hf.pad_token_id == 151643
        assert t.eos_token_id == hf.eos_token_id == 151645
        assert sorted((c, i, s) for c, i, s in t.added_tokens) == sorted(
            (a.content, i, a.special) for i, a in hf.added_tokens_decoder.items()
        )
        for token in ["Ġthe", "<|im_start|>", "<tool_call>", "Ċ", "ĠĠĠ"]:
            assert t.token_to_id(token) == hf.convert_tokens_to_ids(token)
    # Same tables → same fingerprint, whichever files they came from.
    assert vlq_slow_files.fingerprint == vlq_tokenizer_json.fingerprint
    assert len(vlq_slow_files.fingerprint) == 64


def chat(hf, template, messages, add_generation_prompt):
    return hf.apply_chat_template(messages, chat_template=template, tokenize=False,
                                  add_generation_prompt=add_generation_prompt)


def rendered_captions(hf, template, captions, check_every=1):
    """Both shapes the data layer renders: the prompt, and the teacher-forcing conversation.
    Every `check_every`-th rendering is also compared with transformers' Jinja rendering (Jinja
    costs ~1 ms per call; the template itself is covered shape by shape in test_text_chat_template)."""
    vlq_chat = _core.ChatTemplate.from_directory(CKPT)
    texts = []
    for i, cap in enumerate(captions):
        prompt = [{"role": "user", "content": [{"type": "text", "text": cap}]}]
        full = prompt + [{"role": "assistant", "content": cap}]
        for messages, gen in ((prompt, True), (full, False)):
            ours = vlq_chat.render(messages, add_generation_prompt=gen)
            if i % check_every == 0:
                assert ours == chat(hf, template, messages, gen)
            texts.append(ours)
    return texts


def test_calibration_captions_through_chat_template(hf, mm_template, vlq_slow_files, vlq_tokenizer_json):
    captions = (DATA / "coco2017_vlm_calib" / "coco2017_captions.txt").read_text().split("\n")[:-1]
    assert len(captions) == 4096
    texts = rendered_captions(hf, mm_template, captions)
    assert_same_ids(vlq_slow_files, hf, texts, "calib (vocab+merges)")
    assert_same_ids(vlq_tokenizer_json, hf, texts, "calib (tokenizer.json)")
    # The word cache is shared between threads: parallel encoding must give the same ids.
    assert vlq_slow_files.encode_batch(texts, num_threads=2) == vlq_slow_files.encode_batch(texts)
    # The raw captions too (no template).
    assert_same_ids(vlq_slow_files, hf, captions, "calib raw")


def test_val2017_captions_through_chat_template(hf, mm_template, vlq_slow_files):
    ann = json.loads((DATA / "coco2017_annotations" / "captions_val2017.json").read_text())
    captions = [a["caption"] for a in ann["annotations"]]
    assert len(captions) == 25014
    texts = rendered_captions(hf, mm_template, captions, check_every=10)
    assert len(texts) == 2 * 25014
    assert_same_ids(vlq_slow_files, hf, texts, "val2017")
    assert_same_ids(vlq_slow_files, hf, captions, "val2017 raw (unstripped)")


def adversarial_corpus():
    rng = random.Random(1234)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|image_pad|>",
                "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|file_sep|>"]
    corpus = [
        "", " ", "  ", "\n", "\r\n", "\t", " \t \n", "a", "Hello world", " Hello world",
        "你好，世界！这是一个测试。", "東京都渋谷区 2024年", "한국어 텍스트입니다", "ภาษาไทย",
        "👨‍👩‍👧‍👦 family 👍🏽 ok 🏳️‍🌈", "🇯🇵🇺🇸", "e\u0301 cafe\u0301 Å Å ﬁ ẞ",
        "\u1100\u1161\u11a8 한", "Ǆ ǅ ǆ", "ﬀ ﬃ ²³ ½ Ⅻ ① ٣ ߁",
        "مرحبا بالعالم 123", "שלום עולם", "\u202eevil\u202c", "\u200b\u200c\u200d\ufeff",
        "1234567890" * 20, "3.14159 1,000,000 -42 0x1F", "٠١٢٣٤٥٦٧٨٩ ۰۱۲",
        "a  b   c    d", "trailing spaces   ", "   leading", "tabs\t\tand\ttabs\t",
        "line\r\nbreaks\n\n\nmore\r\r\n  \n  x", "\n \n \n", "  \n\t\r\n  end  ",
        "\u00a0nbsp\u00a0\u00a0x", "\u3000ideographic\u3000space", "\u2028\u2029\u0085 x",
        "\u000b\u000c\u001c\u001d\u001e\u001f mixed", "\u180e\u200b\u2060 not spaces",
        "I'm, you're, he's, we've, they'll, I'd, don't", "I'M YOU'RE HE'S WE'VE THEY'LL I'D DON'T",
        "'S 'LL 'Re 'rE 'vE 'M 'D 'T 'x", "''s '''ll 's' 'll'", "x'ſ y'ſt 'K 'K", "rock'n'roll",
        "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|><|im_start|>", "<|im_start", "im_start|>",
        "<|im_end|x", "<|<|im_end|>|>", "<<|endoftext|>>", "text<tool_call>{\"a\": 1}</tool_call>text",
        "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>", "<|repo_name|>x<|file_sep|>y",
        "<|vision_start|><|image_pad|><|image_pad|><|vision_end|>", "< |im_start| >",
        "\x00nul\x00", "\x7f\x01\x02 controls", "emoji🙂text🙂🙂", "A" * 300, "ab" * 500,
        "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "Ⓐⓑ ℌ ℍ ℎ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "\U0001F600\U0010FFFD\U000E0001",
        "!!!???...,,,;;;", " !!!\n\n", "a!\r\n\r\nb", "...\n", "$100 & 50% #tag @user",
        "def f(x):\n    return x**2  # comment\n", "    indented\n        more",
        "https://example.com/path?q=1&r=2", "C++ c# F# .NET", "naïve résumé coöperate",
        "İstanbul ıi", "ǰ̌", "\u0345\u0399", "\u1e9b\u0323", "Ω Ω K K",
    ]
    # Non-NFC input: decomposed Latin, Hangul jamo, and NFD of a mix.
    corpus += [unicodedata.normalize("NFD", s) for s in ("Ångström café naïve", "한국어", "Ελληνικά ώ")]
    corpus.append("".join(specials) + "tail")
    # Random mixtures of the pieces above plus special-token strings.
    pool = corpus + specials + [" ", "\n", "'s", "1", "x"]
    for _ in range(300):
        corpus.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 8))))
    # Random code points (valid scalar values) in random runs.
    for _ in range(200):
        s = []
        for _ in range(rng.randint(1, 40)):
            cp = rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0x2FFF), rng.randint(0x3000, 0xD7FF),
                             rng.randint(0xE000, 0xFFFD), rng.randint(0x10000, 0x10FFFF), rng.choice([9, 10, 13, 32])])
            s.append(chr(cp))
        corpus.append("".join(s))
    # One ~1 MB string: captions-like text with all the above mixed in, and a 200 KB word.
    big = "".join(rng.choice(pool) for _ in range(60000))
    corpus.append(big[: 1 << 20])
    corpus.append("x" * 200_000)
    return corpus


@pytest.fixture(scope="module")
def corpus():
    return adversarial_corpus()


def test_adversarial_corpus(hf, vlq_slow_files, vlq_tokenizer_json, corpus):
    assert any(len(s.encode()) >= 1 << 19 for s in corpus)
    assert_same_ids(vlq_slow_files, hf, corpus, "adversarial (vocab+merges)")
    assert_same_ids(vlq_tokenizer_json, hf, corpus, "adversarial (tokenizer.json)")


def test_every_code_point_is_classified_like_oniguruma(hf, vlq_slow_files):
    """Probes each code point of planes 0-3 and 14 in contexts that expose its regex class
    (\\p{L}, \\p{N}, \\s, other, contraction letter) and NFC behaviour; ids must agree."""
    cps = [c for c in list(range(0x40000)) + list(range(0xE0000, 0xE0200)) if not 0xD800 <= c <= 0xDFFF]
    texts = []
    for k in range(0, len(cps), 512):
        texts.append("".join(f"{chr(c)}x!{chr(c)}!1{chr(c)}1 '{chr(c)}d\n" for c in cps[k:k + 512]))
    assert_same_ids(vlq_slow_files, hf, texts, "code point probes")


def test_decode_matches_hf(hf, vlq_slow_files, corpus):
    rng = random.Random(99)
    sequences = [hf_ids(hf, [s])[0] for s in corpus[:400]]
    # Random id soup: byte tokens that split UTF-8 sequences, specials and non-special added tokens.
    for _ in range(300):
        sequences.append([rng.choice([rng.randrange(0, 151643), rng.randrange(151643, 151665), rng.randrange(0, 256)])
                          for _ in range(rng.randint(0, 30))])
    for ids in sequences:
        for skip in (False, True):
            assert vlq_slow_files.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip), (ids, skip)
    # Round trip: decode(encode(s)) == NFC(s) for valid text.
    for s in corpus[:400]:
        assert vlq_slow_files.decode(vlq_slow_files.encode(s)) == hf.decode(hf_ids(hf, [s])[0])


def test_invalid_input_raises(vlq_slow_files):
    with pytest.raises(RuntimeError, match="token id 999999"):
        vlq_slow_files.decode([1, 999999])
    with pytest.raises(RuntimeError, match="token id -1"):
        vlq_slow_files.decode([-1])
    with pytest.raises(RuntimeError, match="tokenizer directory not found"):
        _core.Tokenizer.from_directory(DATA / "does_not_exist")
