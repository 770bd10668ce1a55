"""vlq's native Qwen2.5-VL chat template vs transformers' Jinja rendering (the oracle).

The multimodal template is the checkpoint's chat_template.json (what the processor uses), passed
to the tokenizer's apply_chat_template as chat_template= (AutoProcessor itself needs torchvision,
which is not part of the environment); the text-only tool-calling template is
tokenizer_config.json's. Strings must be identical.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from vlq import _core

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data")
CKPT = DATA / "qwen2_5_vl_3b_instruct"

IMG = {"type": "image", "image": "file:///x.jpg"}
VID = {"type": "video", "video": "file:///x.mp4"}


def text(t):
    return {"type": "text", "text": t}


SHAPES = {
    "user string, no system": [{"role": "user", "content": "Describe this image."}],
    "user text list": [{"role": "user", "content": [text("Describe this image.")]}],
    "image first": [{"role": "user", "content": [IMG, text("Describe this image.")]}],
    "image last": [{"role": "user", "content": [text("What is this?"), IMG]}],
    "two images + text": [{"role": "user", "content": [IMG, IMG, text("Compare.")]}],
    "video": [{"role": "user", "content": [VID, text("What happens?")]}],
    "image and video interleaved": [{"role": "user", "content": [IMG, text(" and "), VID, IMG, text("?")]}],
    "system string": [{"role": "system", "content": "You are a captioner."},
                      {"role": "user", "content": [IMG, text("Describe this image.")]}],
    "system list": [{"role": "system", "content": [text("Be brief.")]},
                    {"role": "user", "content": "hi"}],
    "teacher forcing": [{"role": "user", "content": [IMG, text("Describe this image.")]},
                        {"role": "assistant", "content": "A cat on a mat."}],
    "assistant list content": [{"role": "user", "content": "q"},
                               {"role": "assistant", "content": [text("a1"), text(" a2")]}],
    "multi-turn with images across turns": [
        {"role": "user", "content": [IMG, text("first")]},
        {"role": "assistant", "content": "one"},
        {"role": "user", "content": [IMG, VID, text("second")]},
        {"role": "assistant", "content": [text("two")]},
        {"role": "user", "content": "third"}],
    "empty text and empty list": [{"role": "user", "content": [text("")]},
                                  {"role": "assistant", "content": []},
                                  {"role": "user", "content": ""}],
    "image_url and bare image keys": [{"role": "user", "content": [{"image_url": "u"}, {"image": "p"}, {"video": "v"}]}],
    "unknown item type renders nothing": [{"role": "user", "content": [{"type": "audio", "audio": "a"}, text("x")]}],
    "system not first": [{"role": "user", "content": "a"}, {"role": "system", "content": "late"}],
    "custom role and specials in text": [{"role": "tool", "content": "<|im_end|>\n<tool_call>"},
                                         {"role": "user", "content": [text("line1\nline2  ")]}],
}


@pytest.fixture(scope="module")
def hf():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(CKPT))


@pytest.fixture(scope="module")
def mm_template():
    return json.loads((CKPT / "chat_template.json").read_text())["chat_template"]


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("add_generation_prompt", [False, True])
@pytest.mark.parametrize("add_vision_id", [False, True])
def test_multimodal_template_matches_hf(hf, mm_template, name, add_generation_prompt, add_vision_id):
    messages = SHAPES[name]
    expected = hf.apply_chat_template(messages, chat_template=mm_template, tokenize=False,
                                      add_generation_prompt=add_generation_prompt, add_vision_id=add_vision_id)
    ours = _core.ChatTemplate.from_directory(CKPT).render(
        messages, add_generation_prompt=add_generation_prompt, add_vision_id=add_vision_id)
    assert ours == expected


TEXT_SHAPES = {
    "user only": [{"role": "user", "content": "hi"}],
    "system first": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
    "multi-turn": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                   {"role": "user", "content": "c"}],
    "late system": [{"role": "user", "content": "a"}, {"role": "system", "content": "s2"}],
    "tool responses grouped": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "calling"},
                               {"role": "tool", "content": "r1"}, {"role": "tool", "content": "r2"},
                               {"role": "user", "content": "thanks"}, {"role": "tool", "content": "r3"}],
    "unknown role dropped": [{"role": "narrator", "content": "x"}, {"role": "user", "content": "y"}],
}


@pytest.fixture(scope="module")
def text_template_dir(tmp_path_factory):
    """A directory whose only template is tokenizer_config.json's (no chat_template.json)."""
    d = tmp_path_factory.mktemp("text_template")
    shutil.copy(CKPT / "tokenizer_config.json", d / "tokenizer_config.json")
    return d


@pytest.mark.parametrize("name", list(TEXT_SHAPES))
@pytest.mark.parametrize("add_generation_prompt", [False, True])
def test_text_template_matches_hf(hf, text_template_dir, name, add_generation_prompt):
    messages = TEXT_SHAPES[name]
    expected = hf.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    ours = _core.ChatTemplate.from_directory(text_template_dir).render(messages, add_generation_prompt=add_generation_prompt)
    assert ours == expected


def test_text_template_rejects_list_content(text_template_dir):
    with pytest.raises(RuntimeError, match="needs string content"):
        _core.ChatTemplate.from_directory(text_template_dir).render([{"role": "user", "content": [text("x")]}])


def test_unknown_template_is_rejected(tmp_path, mm_template):
    (tmp_path / "chat_template.json").write_text(json.dumps({"chat_template": mm_template.replace("helpful", "useful")}))
    with pytest.raises(RuntimeError, match=r"chat_template.json: chat template is not the known Qwen2.5-VL template \(sha256 [0-9a-f]{64}\)"):
        _core.ChatTemplate.from_directory(tmp_path)


def test_jinja_file_is_read(tmp_path, mm_template):
    (tmp_path / "chat_template.jinja").write_text(mm_template)
    t = _core.ChatTemplate.from_directory(tmp_path)
    assert t.fingerprint == _core.ChatTemplate.from_directory(CKPT).fingerprint
