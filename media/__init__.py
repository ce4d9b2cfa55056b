"""The one package that runs ffmpeg, ffprobe and espeak-ng, a module per job.

`run` is the only caller of `subprocess` (argument lists, timeouts, a `MediaError` with the
command and stderr's tail); `probe` reads what a file holds; `encode` turns frames drawn in
Python into H.264; `concat` joins encoded pieces by stream copy; `fit` makes someone else's
clip or soundtrack fit our contract; `overlay` burns pictures into a clip; `decode` reads
audio back as samples; `speech` is espeak-ng; `audio` mixes the soundtrack in numpy.
"""
