"""The voice-over, made in the plan phase because it decides the scenes' lengths.

Each scene's narration is spoken by the speech provider and measured. Scenes then get the
frames their speech needs, taken from scenes with room to spare; the total stays exactly
`duration * fps`. When the whole script cannot fit at its natural pace, every scene is given
a share in proportion to its speech and the speech is sped up (pitch kept) to fit, at most
MAX_TEMPO times. The clips are laid on one voice track as long as the video, and the
subtitle cues are timed from where the speech actually is.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE, write_placed_wav
from media.decode import decode_audio
from phases.request import MAX_TEMPO, GenerationRequest
from phases.subtitles import Cue, Word, time_scene_cues
from providers.base import SpeechProvider, Spoken, WordTiming
from providers.costs import CostMeter
from providers.script import (
    as_sentence,
    assign_script,
    clean,
    detect_language,
    estimate_seconds,
    fit_to_seconds,
    shorten_in_order,
)
from providers.spec import (
    NARRATION_LIMIT,
    SUBTITLE_STYLE_DEFAULTS,
    frames_to_seconds,
    split_frames,
)
from toolbox.exceptions import ValidationException

logger = logging.getLogger(__name__)

LEAD_SECONDS = 0.3  # from a scene's first frame to its first word
TAIL_SECONDS = 0.3  # from the last word to the scene's last frame
FINAL_TAIL_SECONDS = 0.8  # the last scene fades out; the voice ends before the fade does
MIN_SCENE_SECONDS = 1.5
COMFORTABLE_TEMPO = 1.25  # the planner's narration is shortened rather than said faster than this
SHORTEN_PASSES = 2
DECODES_AT_ONCE = 2
VOICE_PEAK_DBFS = -1.0
_WINDOW_SECONDS = 0.01
_SILENCE_BELOW_PEAK_DB = 40.0
_MIN_PAUSE_SECONDS = 0.12


@dataclass(frozen=True)
class NarrationOptions:
    """The user's choices, as the plan request carries them."""

    enabled: bool = True
    script: str = ""
    voice: str = ""
    language: str = ""
    rate: float = 1.0
    subtitles: bool = True
    burn: bool = False
    style: Mapping[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> bool:
        """Word-by-word captions: the cues carry each word's time."""
        return self.style.get("mode") == "words"

    @classmethod
    def from_request(cls, request: GenerationRequest) -> NarrationOptions:
        return cls(
            enabled=request.narration,
            script=request.script,
            voice=request.voice,
            language=request.language,
            rate=request.speech_rate,
            subtitles=request.subtitles,
            burn=request.burn_subtitles,
            style=dict(request.subtitle_style),
        )


@dataclass
class Narrated:
    spec: dict[str, Any]
    voice_track: Path | None  # 48 kHz mono WAV as long as the video, when narration is on


@dataclass
class _Speech:
    source: Path
    samples: np.ndarray  # mono float32 at SAMPLE_RATE, silence trimmed from both ends
    # The engine's word timings in seconds of the source file, and where `samples` starts in it.
    words: tuple[WordTiming, ...] = ()
    skipped: float = 0.0

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @classmethod
    def load(cls, source: Path, words: tuple[WordTiming, ...] = (), tempo: float = 1.0) -> _Speech:
        samples = decode_audio(source, sample_rate=SAMPLE_RATE, tempo=tempo)[:, 0]
        first, last = _trim_bounds(samples)
        return cls(source, samples[first:last], words, first / SAMPLE_RATE)

    def heard_words(self, offset: float, tempo: float = 1.0) -> list[Word]:
        """The engine's words in seconds of the video, for speech placed at `offset`."""
        return [
            Word(
                round(offset + max(w.start / tempo - self.skipped, 0.0), 3),
                round(offset + max(w.end / tempo - self.skipped, 0.0), 3),
                w.text,
            )
            for w in self.words
        ]


def scene_texts(spec: dict[str, Any], script: str) -> list[str]:
    """What each scene's narrator says: the user's script handed out over the scenes, else
    what the planner wrote (a planner that wrote nothing gets its captions read, cut to fit)."""
    scenes = spec["scenes"]
    if clean(script):
        texts = assign_script(script, [scene["frames"] for scene in scenes])
    else:
        texts = [
            scene["narration"]
            if "narration" in scene
            else fit_to_seconds(
                as_sentence(scene["caption"] or scene["description"]),
                scene["frames"] / spec["fps"] - LEAD_SECONDS - TAIL_SECONDS,
            )
            for scene in scenes
        ]
    return [clean(text)[:NARRATION_LIMIT] for text in texts]


def narrate(
    spec: dict[str, Any],
    options: NarrationOptions,
    *,
    workdir: Path,
    meter: CostMeter,
    provider: SpeechProvider | None = None,
    check_canceled: Callable[[], None] = lambda: None,
) -> Narrated:
    """The spec with each scene's `narration`, scene frames fitted to the speech, and the
    `narration` and `subtitles` blocks; plus the voice track. Raises ValidationException when
    the script cannot be said in the video's length even at MAX_TEMPO."""
    spec = copy.deepcopy(spec)
    scenes, fps = spec["scenes"], spec["fps"]
    texts = scene_texts(spec, options.script)
    for scene, text in zip(scenes, texts, strict=True):
        scene["narration"] = text
    if not (options.enabled or options.subtitles) or not any(texts):
        return Narrated(spec, None)
    language = options.language or detect_language(" ".join(texts))
    pads = [
        LEAD_SECONDS + (FINAL_TAIL_SECONDS if i == len(scenes) - 1 else TAIL_SECONDS)
        for i in range(len(scenes))
    ]

    speech: list[_Speech | None] = [None] * len(scenes)
    voice_used = options.voice
    if options.enabled:
        if provider is None:
            from providers.registry import get_speech_provider

            provider = get_speech_provider()
        pending = [i for i, text in enumerate(texts) if text]
        for _ in range(SHORTEN_PASSES + 1):
            # Each line is decoded (an ffmpeg run) while the next is spoken; the speaking
            # stays in this thread, where the cost meter's budget guard expects its calls.
            with ThreadPoolExecutor(max_workers=DECODES_AT_ONCE) as decoding:
                loads = {}
                for index in pending:
                    check_canceled()
                    source = workdir / f"speech_{index + 1:02d}.wav"
                    said = provider.synthesize(
                        texts[index],
                        voice=options.voice,
                        language=language,
                        rate=options.rate,
                        out_path=source,
                        meter=meter,
                    )
                    voice_used, words = (said.voice, said.words) if isinstance(said, Spoken) else (said, ())
                    loads[index] = decoding.submit(_Speech.load, source, words)
                for index, load in loads.items():
                    speech[index] = load.result()
            lengths = [s.seconds if s else 0.0 for s in speech]
            # The planner's narration is cut when it would have to be said too fast; the
            # user's own script never is (it fails below instead, with a reason).
            budget = (
                spec["duration"] - sum(p for p, t in zip(pads, texts, strict=True) if t)
            ) * COMFORTABLE_TEMPO
            if clean(options.script) or sum(lengths) <= budget:
                break
            pending = shorten_in_order(texts, lengths, budget)
            for index, text in enumerate(texts):
                scenes[index]["narration"] = text
                if not text:
                    speech[index] = None
            logger.info("narration longer than the video at a comfortable pace: cut to fit %.1f s", budget)
    else:
        lengths = [estimate_seconds(text, options.rate) if text else 0.0 for text in texts]

    total = spec["duration"] * fps
    try:
        frames = fit_scene_frames(total, [scene["frames"] for scene in scenes], lengths, pads, fps)
    except ValidationException:
        if clean(options.script):
            raise
        # Text whose speech is far longer than it reads ("%s", a word of a thousand letters):
        # the video goes on without the planner's narration rather than failing.
        logger.warning("the planner's narration cannot be fitted to %s s; leaving it out", spec["duration"])
        texts = [""] * len(scenes)
        speech = [None] * len(scenes)
        lengths = [0.0] * len(scenes)
        for scene in scenes:
            scene["narration"] = ""
        frames = [scene["frames"] for scene in scenes]
    for scene, count in zip(scenes, frames, strict=True):
        scene["frames"], scene["duration"] = count, frames_to_seconds(count, fps)

    # Where each scene's speech goes; the track is written from these, never held whole.
    placed: list[tuple[int, np.ndarray]] = []
    cues: list[Cue] = []
    start_frame = 0
    for index, (text, count) in enumerate(zip(texts, frames, strict=True)):
        scene_start, scene_end = start_frame / fps, (start_frame + count) / fps
        start_frame += count
        if not text:
            continue
        room = max(count / fps - pads[index], 0.5 * count / fps)
        pauses: list[tuple[float, float]] = []
        heard: list[Word] = []
        clip = speech[index]
        if clip is not None:
            tempo = clip.seconds / room
            if tempo > 1.0:
                clip = _Speech.load(clip.source, clip.words, tempo)
                clip.samples = _fit_length(clip.samples, room)
            lead = min(LEAD_SECONDS, max((count / fps - clip.seconds) / 2, 0.0))
            offset = round((scene_start + lead) * SAMPLE_RATE)
            placed.append((offset, clip.samples))
            spoken = (offset / SAMPLE_RATE, offset / SAMPLE_RATE + clip.seconds)
            pauses = [(offset / SAMPLE_RATE + a, offset / SAMPLE_RATE + b) for a, b in _pauses(clip.samples)]
            heard = clip.heard_words(offset / SAMPLE_RATE, max(tempo, 1.0))
        else:
            spoken = (scene_start + LEAD_SECONDS, scene_start + LEAD_SECONDS + min(lengths[index], room))
        if options.subtitles:
            cues += time_scene_cues(
                text,
                scene=index,
                speech=spoken,
                scene_end=scene_end,
                pauses=pauses,
                words=options.words,
                heard_words=heard,
            )

    spoken = options.enabled and any(texts)
    if spoken:
        spec["narration"] = {
            "provider": provider.name if provider else "",
            "voice": voice_used,
            "language": language,
            "rate": options.rate,
        }
    if options.subtitles and cues:
        spec["subtitles"] = {
            "language": language,
            "burn": options.burn,
            "style": {**SUBTITLE_STYLE_DEFAULTS, **options.style},
            "cues": [cue.as_dict() for cue in cues],
        }
    voice_track = None
    if spoken:
        length = spec["duration"] * SAMPLE_RATE
        peak = max((float(np.max(np.abs(c[: length - o]), initial=0.0)) for o, c in placed), default=0.0)
        voice_track = write_placed_wav(
            workdir / "narration.wav",
            placed,
            length,
            gain=10 ** (VOICE_PEAK_DBFS / 20) / peak if peak > 0 else 1.0,
        )
    return Narrated(spec, voice_track)


def fit_scene_frames(
    total: int, planned: list[int], speech: list[float], pads: list[float], fps: int
) -> list[int]:
    """Frames per scene, adding up to exactly `total`: each scene keeps its planned length
    when its speech fits, grows when it does not (taken from the scenes with the most room),
    and when everything cannot fit, shares out the time in proportion to the speech.
    Raises ValidationException when the speech would have to go faster than MAX_TEMPO."""
    count = len(planned)
    shortest = min(round(MIN_SCENE_SECONDS * fps), total // count)
    needs = [math.ceil((s + pad) * fps) if s > 0 else 0 for s, pad in zip(speech, pads, strict=True)]
    required = [max(need, shortest) for need in needs]
    if sum(required) <= total:
        grown = [max(p, r) for p, r in zip(planned, required, strict=True)]
        excess = sum(grown) - total
        if excess <= 0:
            return grown
        slack = [g - r for g, r in zip(grown, required, strict=True)]
        cuts = split_frames(excess, [float(s) for s in slack])
        return [g - c for g, c in zip(grown, cuts, strict=True)]
    # Water-filling: scenes whose share would be under the shortest length keep that length,
    # the others share the rest in proportion to what their speech needs.
    fixed: set[int] = {i for i in range(count) if needs[i] == 0}
    while True:
        free = [i for i in range(count) if i not in fixed]
        scale = (total - shortest * len(fixed)) / sum(needs[i] for i in free)
        short = {i for i in free if scale * needs[i] < shortest}
        if not short:
            break
        fixed |= short
    shares = [float(shortest) if i in fixed else scale * needs[i] for i in range(count)]
    frames = split_frames(total, shares)
    tempos = [
        s / max(f / fps - pad, 0.5 * f / fps) for s, f, pad in zip(speech, frames, pads, strict=True) if s > 0
    ]
    if max(tempos, default=1.0) > MAX_TEMPO:
        needed = sum(speech) + sum(pads)
        raise ValidationException(
            f"the narration takes about {needed:.0f} s to say but the video is {total // fps} s long; "
            "shorten the script, raise the speaking rate or make the video longer"
        )
    return frames


def _window_levels(samples: np.ndarray) -> np.ndarray:
    window = round(_WINDOW_SECONDS * SAMPLE_RATE)
    usable = len(samples) // window * window
    if usable == 0:
        return np.zeros(0)
    return np.sqrt(np.mean(np.square(samples[:usable].reshape(-1, window), dtype=np.float64), axis=1))


def _threshold(levels: np.ndarray) -> float:
    peak = float(levels.max()) if levels.size else 0.0
    return max(peak * 10 ** (-_SILENCE_BELOW_PEAK_DB / 20), 1e-4)


def _trim_bounds(samples: np.ndarray) -> tuple[int, int]:
    """Where the speech starts and ends, without the silence a voice puts around it."""
    levels = _window_levels(samples)
    loud = np.flatnonzero(levels > _threshold(levels))
    if loud.size == 0:
        return 0, 0
    window = round(_WINDOW_SECONDS * SAMPLE_RATE)
    margin = 2 * window
    return max(loud[0] * window - margin, 0), min((loud[-1] + 1) * window + margin, len(samples))


def _pauses(samples: np.ndarray) -> list[tuple[float, float]]:
    """Silent stretches inside the speech, in seconds from its start: where sentences end."""
    levels = _window_levels(samples)
    quiet = levels <= _threshold(levels)
    pauses, start = [], None
    for index, silent in enumerate(quiet):
        if silent and start is None:
            start = index
        elif not silent and start is not None:
            if (index - start) * _WINDOW_SECONDS >= _MIN_PAUSE_SECONDS and start > 0:
                pauses.append((start * _WINDOW_SECONDS, index * _WINDOW_SECONDS))
            start = None
    return pauses


def _fit_length(samples: np.ndarray, seconds: float) -> np.ndarray:
    """At most `seconds` long; atempo's length is not exact, so a few ms may be cut, faded."""
    limit = int(seconds * SAMPLE_RATE)
    if len(samples) <= limit:
        return samples
    cut = samples[:limit].copy()
    fade = min(round(0.02 * SAMPLE_RATE), limit)
    cut[limit - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return cut
