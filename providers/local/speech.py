"""The local speech provider: espeak-ng, offline and free.

Voices are espeak-ng's: a language voice (`en-us`, `ja`, `ar`), optionally with a variant
(`en-us+f3`); a voice that is only a variant (`+f3`) applies it to the language's voice.
"""

from __future__ import annotations

from pathlib import Path

from media.speech import speak
from providers.costs import CostMeter
from toolbox.exceptions import MediaError, ProviderError

PROVIDER = "local"
NORMAL_WORDS_PER_MINUTE = 175  # espeak-ng's own default
# BCP 47 primary languages whose espeak-ng voice has another name.
ESPEAK_VOICES = {"en": "en-us", "zh": "cmn", "pt": "pt-br", "nb": "nb", "no": "nb", "fa": "fa", "iw": "he"}


def espeak_voice(language: str) -> str:
    tag = (language or "en").strip().lower().replace("_", "-")
    primary = tag.split("-", 1)[0]
    if tag in ("en-gb", "en-us", "pt-br", "zh-yue", "es-419"):
        return tag
    return ESPEAK_VOICES.get(primary, primary)


class LocalSpeech:
    name = PROVIDER

    def synthesize(
        self, text: str, *, voice: str, language: str, rate: float, out_path: Path, meter: CostMeter
    ) -> str:
        chosen = voice if voice and not voice.startswith("+") else espeak_voice(language) + voice
        try:
            speak(text, Path(out_path), voice=chosen, words_per_minute=round(NORMAL_WORDS_PER_MINUTE * rate))
        except MediaError as exc:
            reason = str(exc).splitlines()[-1]
            if "voice does not exist" in reason:
                reason = f"espeak-ng has no voice {chosen!r}"
            raise ProviderError(f"narration: {reason}", provider="espeak-ng") from exc
        return chosen
