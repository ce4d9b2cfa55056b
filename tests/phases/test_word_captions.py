"""Word-by-word captions: word times (the engine's or estimated from syllables), WebVTT word
timestamps, and the highlight drawn over the frames."""

from __future__ import annotations

import numpy as np
import pytest

from media.decode import decode_audio
from media.speech import espeak_available
from phases.narration import NarrationOptions, narrate
from phases.subtitles import Cue, Word, estimate_word_times, time_scene_cues, to_webvtt
from providers.base import Spoken, WordTiming
from providers.costs import CostMeter
from providers.local.speech import LocalSpeech
from providers.local.subtitles import LANDSCAPE_SAFE, PORTRAIT_SAFE, cue_picture, cue_pictures
from providers.script import split_words, syllables
from providers.spec import validate_spec
from tests.phases.spec_factory import make_spec
from tests.phases.subtitle_checks import assert_cues_well_formed, parse_webvtt, parse_word_times

WORDS_STYLE = {"mode": "words"}


def test_words_are_split_the_way_they_are_spoken():
    assert split_words("A calm ocean, at night.") == ["A", "calm", "ocean,", "at", "night."]
    assert split_words("東京の夜、雨。") == ["東", "京", "の", "夜、", "雨。"]
    assert split_words("  ... \n") == ["..."]


@pytest.mark.parametrize(
    ("word", "count"),
    [("a", 1), ("ocean", 2), ("stone", 1), ("beautiful", 3), ("2026", 4), ("夜", 1), ("город", 2), ("хм", 1)],
)
def test_syllables_are_counted_from_vowel_groups_characters_and_digits(word, count):
    assert syllables(word) == count


def test_estimated_word_times_follow_syllables_and_skip_pauses():
    words = estimate_word_times(["One", "beautiful", "day,", "then", "night."], (1.0, 4.0), [(2.5, 3.0)])
    assert [w.text for w in words] == ["One", "beautiful", "day,", "then", "night."]
    assert words[0].start == 1.0 and words[-1].end == 4.0
    for before, after in zip(words, words[1:]):
        assert before.start < before.end <= after.start
    assert words[1].end - words[1].start > 2 * (words[0].end - words[0].start), "3 syllables vs 1"
    # No word is said during the pause: the one before it ends as it starts, the next starts after.
    assert not any(w.start < 3.0 and w.end > 2.5 for w in words)
    assert any(w.end == 2.5 for w in words) and any(w.start == 3.0 for w in words)


def test_cues_carry_their_words_in_order_inside_their_span():
    narration = "A calm ocean at night, under the stars. Waves roll onto the beach & the rocks."
    cues = time_scene_cues(
        narration, scene=0, speech=(0.3, 5.2), scene_end=6.0, pauses=[(2.5, 2.8)], words=True
    )
    assert len(cues) == 2
    assert [w.text for cue in cues for w in cue.words] == split_words(narration)
    for cue in cues:
        assert cue.start <= cue.words[0].start and cue.words[-1].end <= cue.end
        for before, after in zip(cue.words, cue.words[1:]):
            assert before.start <= before.end <= after.start
    without = time_scene_cues(narration, scene=0, speech=(0.3, 5.2), scene_end=6.0)
    assert all(not cue.words for cue in without)


def test_the_engines_own_word_times_are_used_when_it_gives_one_per_word():
    heard = [Word(0.5, 0.6, "Hi"), Word(0.9, 1.4, "there."), Word(2.0, 2.2, "Bye.")]
    cues = time_scene_cues(
        "Hi there. Bye.", scene=0, speech=(0.5, 2.2), scene_end=3.0, words=True, heard_words=heard
    )
    assert [w for cue in cues for w in cue.words] == heard
    # A count that does not match the text (the engine split differently) is not trusted.
    cues = time_scene_cues(
        "Hi there. Bye.", scene=0, speech=(0.5, 2.2), scene_end=3.0, words=True, heard_words=heard[:2]
    )
    assert [w.text for cue in cues for w in cue.words] == ["Hi", "there.", "Bye."]
    assert [w for cue in cues for w in cue.words] != heard


def test_webvtt_has_word_timestamps_in_order_strictly_inside_each_cue():
    cue = Cue(
        1.0,
        3.0,
        "東京の夜 & <night>",
        0,
        (
            Word(1.0, 1.2, "東"),
            Word(1.2, 1.4, "京"),
            Word(1.4, 1.6, "の"),
            Word(1.6, 1.9, "夜"),
            Word(2.0, 2.2, "&"),
            Word(2.2, 2.9, "<night>"),
        ),
    )
    vtt = to_webvtt([cue])
    assert "<c>東</c><00:00:01.200><c>京</c>" in vtt, "no space is added between CJK characters"
    assert "<00:00:02.200><c>&lt;night&gt;</c>" in vtt
    [(parsed, times)] = parse_word_times(vtt)
    assert parsed.text == "東京の夜 & <night>"
    assert times == [1.2, 1.4, 1.6, 2.0, 2.2]


class TimedSpeech(LocalSpeech):
    """espeak-ng's audio with word times made up the way an engine that reports them would."""

    def synthesize(self, text, **kwargs):
        voice = super().synthesize(text, **kwargs)
        words = split_words(text)
        seconds = len(decode_audio(kwargs["out_path"])) / 48000
        step = seconds / len(words)
        return Spoken(voice, tuple(WordTiming(i * step, (i + 1) * step, w) for i, w in enumerate(words)))


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
@pytest.mark.parametrize("provider", [LocalSpeech(), TimedSpeech()], ids=["estimated", "engine"])
def test_narrated_word_captions_are_valid_webvtt_with_words_inside_their_cues(tmp_path, provider):
    spec = make_spec(duration=8)
    options = NarrationOptions(
        script="The tide comes in over the sand. Gulls call above the quiet water, far out at sea.",
        style=WORDS_STYLE,
    )
    narrated = narrate(spec, options, workdir=tmp_path, meter=CostMeter(), provider=provider)
    validate_spec(narrated.spec)
    vtt = to_webvtt(
        [
            Cue(**{**c, "words": tuple(Word(**w) for w in c["words"])})
            for c in narrated.spec["subtitles"]["cues"]
        ]
    )
    assert_cues_well_formed(parse_webvtt(vtt), 8)
    timed = parse_word_times(vtt)
    assert sum(len(times) for _, times in timed) >= 10
    for cue, times in timed:
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(cue.start < t < cue.end for t in times)


def test_word_pictures_highlight_one_word_each_and_keep_the_same_place():
    spec = make_spec(duration=5)
    spec["subtitles"] = {
        "language": "en",
        "burn": True,
        "style": {
            "font": "sans",
            "size": 54,
            "color": "#ffffff",
            "outline_color": "#000000",
            "outline": 4,
            "position": "bottom",
            "mode": "words",
            "highlight_color": "#ffd400",
            "background": 0,
        },
        "cues": [
            {
                "start": 0.2,
                "end": 1.6,
                "text": "Waves roll in",
                "scene": 0,
                "words": [
                    {"start": 0.3, "end": 0.6, "text": "Waves"},
                    {"start": 0.6, "end": 0.9, "text": "roll"},
                    {"start": 0.9, "end": 1.3, "text": "in"},
                ],
            }
        ],
    }
    validate_spec(spec)
    pictures = cue_pictures(spec, 0)
    assert [(p.start, p.end) for p in pictures] == [
        (0.2, 0.3),
        (0.3, 0.6),
        (0.6, 0.9),
        (0.9, 1.3),
        (1.3, 1.6),
    ]
    assert len({(p.x, p.y, p.image.size) for p in pictures}) == 1
    base = np.asarray(pictures[0].image, dtype=np.int16)
    xs = []
    for picture in pictures[1:4]:
        changed = np.abs(np.asarray(picture.image, dtype=np.int16) - base).sum(axis=2) > 60
        assert changed.any()
        xs.append(np.flatnonzero(changed.any(axis=0)).mean())
    assert xs == sorted(xs), "the highlight moves left to right with the words"


@pytest.mark.parametrize(
    ("width", "height", "safe"), [(1920, 1080, LANDSCAPE_SAFE), (1080, 1920, PORTRAIT_SAFE)]
)
def test_position_presets_keep_to_the_safe_area(width, height, safe):
    places = {}
    for position in ("top", "middle", "bottom"):
        picture, _x, y = cue_picture("Where the words sit", {"position": position}, width, height)
        places[position] = (y, y + picture.height)
    assert places["top"][0] == round(height * safe["top"])
    assert places["bottom"][1] == round(height * safe["bottom"])
    assert places["top"][1] < places["middle"][0] < places["middle"][1] < places["bottom"][0]


def test_a_backdrop_keeps_the_words_readable_over_a_white_picture():
    picture, _x, _y = cue_picture("Bright sky", {"background": 70, "color": "#ffffff"}, 1920, 1080)
    pixels = np.asarray(picture, dtype=np.float32)
    corner = pixels[picture.height // 2, 2]
    # The box's corner is the outline colour at 70 % opacity: white under it becomes dark grey.
    assert abs(corner[3] - 0.7 * 255) < 2 and corner[:3].max() < 10
