"""The peer: the same video assembled the way a Python user would, with moviepy 2.x.

Runs in bench/.peer-venv (moviepy needs Pillow < 12; the app pins 13). Reads a job JSON
written by bench/run.py from one of our finished generations: the reference image of each
scene, its camera move and frame count, its caption, and the music WAV. Each scene is an
ImageClip of the reference on a canvas 1.2x the frame (our renderer's oversize), moved by
the same eased pan or zoom as our camera, with its caption fading in over it; the first
scene fades in and the last fades out; the scenes are concatenated, the music is added,
and `write_videofile` encodes with our x264 and AAC settings. Prints one JSON line.

    bench/.peer-venv/bin/python bench/peer_moviepy.py JOB.json OUT.mp4
"""

from __future__ import annotations

import json
import sys
import time

from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip, concatenate_videoclips, vfx

# The same constants as phases/providers/local/video.py.
OVERSIZE = 1.2
ZOOM = 0.10
PAN = 0.12
DRIFT_PAN = 0.03
FADE_SECONDS = 0.5
CAPTION_DELAY = 0.2
CAPTION_SECONDS = 0.6


def ease(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def camera(
    kind: str, progress: float, canvas: tuple[int, int], frame: tuple[int, int]
) -> tuple[float, float, float]:
    """(zoom, x0, y0): the canvas rectangle our background layer shows at `progress`."""
    (cw, ch), (w, h) = canvas, frame
    s = ease(progress)
    cx, cy, zoom = cw / 2, ch / 2, 1.0
    if kind == "zoom_in":
        zoom = 1 + ZOOM * s
    elif kind == "zoom_out":
        zoom = 1 + ZOOM * (1 - s)
    elif kind in ("pan_left", "pan_right"):
        cx += PAN * w * ((s - 0.5) if kind == "pan_right" else (0.5 - s))
    elif kind in ("pan_up", "pan_down"):
        cy += PAN * h * ((s - 0.5) if kind == "pan_down" else (0.5 - s))
    else:
        cx += DRIFT_PAN * w * (s - 0.5)
        cy += DRIFT_PAN * h * (0.5 - s) / 2
    half_w, half_h = w / (2 * zoom), h / (2 * zoom)
    x0 = min(max(cx - half_w, 0.0), cw - 2 * half_w)
    y0 = min(max(cy - half_h, 0.0), ch - 2 * half_h)
    return zoom, x0, y0


def scene_clip(job: dict, index: int) -> CompositeVideoClip:
    scene = job["scenes"][index]
    w, h, fps = job["width"], job["height"], job["fps"]
    seconds = scene["frames"] / fps
    picture = ImageClip(scene["image"]).resized(OVERSIZE).with_duration(seconds)
    canvas = picture.size
    last = max(seconds - 1 / fps, 1e-6)

    def box(t: float) -> tuple[float, float, float]:
        return camera(scene["camera"], min(t / last, 1.0), canvas, (w, h))

    if scene["camera"] in ("zoom_in", "zoom_out"):
        moving = picture.resized(lambda t: box(t)[0]).with_position(
            lambda t: (-box(t)[1] * box(t)[0], -box(t)[2] * box(t)[0])
        )
    else:
        moving = picture.with_position(lambda t: (-box(t)[1], -box(t)[2]))
    layers = [moving]
    if scene["caption"]:
        font_size = round(min(w, h) * 0.05)
        caption = (
            TextClip(
                font=job["font"],
                text=scene["caption"],
                font_size=font_size,
                color="white",
                stroke_color="black",
                stroke_width=max(2, font_size // 16),
                method="caption",
                size=(round(w * 0.84), None),
                text_align="center",
            )
            .with_start(CAPTION_DELAY)
            .with_duration(seconds - CAPTION_DELAY)
            .with_effects([vfx.CrossFadeIn(CAPTION_SECONDS)])
        )
        layers.append(caption.with_position(("center", round(h * 0.82) - caption.h // 2)))
    clip = CompositeVideoClip(layers, size=(w, h)).with_duration(seconds)
    effects = []
    if index == 0:
        effects.append(vfx.FadeIn(FADE_SECONDS))
    if index == len(job["scenes"]) - 1:
        effects.append(vfx.FadeOut(FADE_SECONDS))
    return clip.with_effects(effects) if effects else clip


def main() -> None:
    job = json.loads(open(sys.argv[1]).read())
    out = sys.argv[2]
    fps = job["fps"]
    started = time.perf_counter()
    video = concatenate_videoclips([scene_clip(job, i) for i in range(len(job["scenes"]))])
    video = video.with_audio(AudioFileClip(job["music"]).with_duration(video.duration))
    video.write_videofile(
        out,
        fps=fps,
        codec="libx264",
        preset="veryfast",
        audio_codec="aac",
        audio_bitrate="192k",
        audio_fps=48000,
        pixel_format="yuv420p",
        ffmpeg_params=[
            *["-crf", "23", "-profile:v", "high", "-g", str(2 * fps), "-keyint_min", str(fps)],
            *["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"],
            *["-color_range", "tv", "-movie_timescale", str(fps * 512), "-movflags", "+faststart"],
        ],
        logger=None,
    )
    print(json.dumps({"wall": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
