"""Narration text and subtitle cues: language, sentences, timing, SRT and WebVTT."""

from __future__ import annotations

import pytest

from phases.subtitles import MAX_CUE_UNITS, Cue, time_scene_cues, to_srt, to_webvtt
from providers.script import (
    as_sentence,
    assign_script,
    detect_language,
    estimate_seconds,
    fit_to_seconds,
    shorten_in_order,
    split_for_display,
    split_sentences,
    width_units,
)
from tests.phases.subtitle_checks import ParsedCue, assert_cues_well_formed, parse_webvtt

HOSTILE = 'He said "stop": 100% of it\\n --> <b>now</b> & then %s {x} 🌊🚀 مرحبا 東京の夜。'


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("A calm ocean at night.", "en"),
        ("東京の夜、雨が静かに降っている。", "ja"),
        ("东京的夜晚，雨静静地下着。", "zh"),
        ("서울의 밤, 비가 조용히 내린다.", "ko"),
        ("مدينة في الليل تحت المطر.", "ar"),
        ("Ночной город под дождём.", "ru"),
        ("12345 !!!", "en"),
    ],
)
def test_the_language_is_told_from_the_script_of_the_letters(text, language):
    assert detect_language(text) == language


def test_sentences_split_on_latin_cjk_and_arabic_ends():
    assert split_sentences("One. Two? 三つ。四つ！ خمسة؟ ستة") == [
        "One.",
        "Two?",
        "三つ。",
        "四つ！",
        "خمسة؟",
        "ستة",
    ]
    assert split_sentences("  \n\n ... \n") == []


def test_a_clause_becomes_a_sentence_with_the_right_full_stop():
    assert as_sentence("waves roll in,") == "Waves roll in."
    assert as_sentence("東京の夜") == "東京の夜。"
    assert as_sentence("Already done!") == "Already done!"


def test_fitting_text_to_a_time_keeps_whole_sentences_then_words_and_never_dangles():
    text = "A calm ocean at night under the stars. Waves roll onto the beach."
    assert fit_to_seconds(text, 60) == text
    assert fit_to_seconds(text, estimate_seconds("A calm ocean at night under the stars.") + 0.1) == (
        "A calm ocean at night under the stars."
    )
    cut = fit_to_seconds("Waves roll onto the beach under a grey sky", 1.2)
    assert estimate_seconds(cut) <= 1.5 and cut.endswith(".") and not cut.endswith(" the.")


def test_shortening_keeps_the_first_narrations_whole():
    texts = ["First part here.", "Second part here.", "Third part here."]
    seconds = [2.0, 2.0, 2.0]
    cut = shorten_in_order(texts, seconds, 4.5)
    assert texts[:2] == ["First part here.", "Second part here."] and texts[2] == ""
    assert cut == []


def test_a_users_script_follows_the_scenes_by_paragraph_or_by_reading_time():
    assert assign_script("One.\n\nTwo.\n\nThree.", [1, 1, 1]) == ["One.", "Two.", "Three."]
    parts = assign_script("Alpha one. Beta two. Gamma three. Delta four.", [1.0, 1.0])
    assert parts == ["Alpha one. Beta two.", "Gamma three. Delta four."]
    assert assign_script("Only one sentence.", [1, 1, 1]).count("") == 2


def test_long_sentences_are_cut_for_display_at_commas_or_spaces_and_cjk_anywhere():
    sentence = (
        "The storm rolled over the harbour for hours, and the lighthouse kept turning through the night"
    )
    pieces = split_for_display(sentence, 42)
    assert len(pieces) >= 2 and all(width_units(p) <= 42 for p in pieces)
    assert " ".join(p.strip() for p in pieces) == sentence
    cjk = "東京の夜に雨が静かに降っていてネオンが光る街を人々が傘をさして歩いている"
    assert "".join(split_for_display(cjk, 20)) == cjk
    assert all(width_units(p) <= 20 for p in split_for_display(cjk, 20))


def test_cues_share_the_speech_by_word_rate_and_snap_to_pauses():
    cues = time_scene_cues(
        "One two three four. Five six.", scene=2, speech=(10.0, 13.0), scene_end=14.0, pauses=[(11.9, 12.1)]
    )
    assert [c.text for c in cues] == ["One two three four.", "Five six."]
    assert cues[0].start == 10.0 and cues[0].end == cues[1].start == 12.0  # snapped to the pause
    assert cues[1].end == 13.5  # lingers after the voice, inside the scene
    assert all(c.scene == 2 for c in cues)
    assert time_scene_cues("Short.", scene=0, speech=(1.0, 1.8), scene_end=2.0)[0].end == 2.0


def test_a_long_narration_becomes_several_cues_each_fitting_two_lines():
    text = " ".join(["The quick brown fox jumps over the lazy dog near the river bank."] * 4)
    cues = time_scene_cues(text, scene=0, speech=(0.3, 12.0), scene_end=12.5)
    assert len(cues) >= 4
    assert all(width_units(c.text) <= MAX_CUE_UNITS for c in cues)
    assert_cues_well_formed([ParsedCue(c.start, c.end, c.text) for c in cues], 12.5)


def test_webvtt_output_validates_and_keeps_any_text_safe():
    cues = [
        Cue(0.3, 2.0, HOSTILE, 0),
        Cue(2.0, 3.25, "Line one\nline two\n\nthree", 1),
        Cue(3661.5, 3662.0, "late", 2),
    ]
    vtt = to_webvtt(cues)
    parsed = parse_webvtt(vtt)
    assert [(c.start, c.end) for c in parsed] == [(0.3, 2.0), (2.0, 3.25), (3661.5, 3662.0)]
    assert parsed[0].text == " ".join(HOSTILE.split())
    assert parsed[1].text == "Line one line two three"  # a blank line would have ended the cue
    assert "01:01:01.500 --> 01:01:02.000" in vtt


def test_srt_output_has_numbered_blocks_comma_millis_and_no_stray_arrows():
    srt = to_srt([Cue(0.3, 2.0, HOSTILE, 0), Cue(2.0, 3.0, "b", 1)])
    blocks = srt.strip("\n").split("\n\n")
    assert [b.split("\n")[0] for b in blocks] == ["1", "2"]
    assert blocks[0].split("\n")[1] == "00:00:00,300 --> 00:00:02,000"
    assert all(line.count("-->") <= 1 for line in srt.splitlines())
    assert "東京の夜。" in srt and "مرحبا" in srt and "🌊🚀" in srt


@pytest.mark.parametrize(
    "broken",
    [
        "WEBVTX\n\n00:00:00.000 --> 00:00:01.000\nhi\n",
        "WEBVTT\n\n00:00:01.000 --> 00:00:00.500\nbackwards\n",
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<b>raw</b>\n",
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nfish & chips\n",
        "WEBVTT\n\n00:00:00,000 --> 00:00:01,000\nsrt commas\n",
        "WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nb\n\n00:00:01.000 --> 00:00:04.000\na\n",
    ],
)
def test_the_strict_parser_refuses_what_players_would_misread(broken):
    with pytest.raises(AssertionError):
        parse_webvtt(broken)
