"""What the browser tests share besides fixtures: where Chromium is, screenshots, logging
in, and the accessibility smoke check."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page

from tests.conftest import PROJECT_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = PROJECT_DIR / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# Run in the page: the accessibility smoke check. Returns a list of problems, empty if none.
A11Y_CHECK = """() => {
  const problems = [];
  const visible = (el) => !el.closest("[hidden], [aria-hidden=true]");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button"].includes(el.type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby");
    if (!named) problems.push(`no label: ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`no alt: ${img.getAttribute("src")}`);
  }
  for (const el of document.querySelectorAll("a[href], button")) {
    const named = el.textContent.trim() || el.getAttribute("aria-label")
      || el.querySelector("img[alt]:not([alt=''])");
    if (visible(el) && !named) problems.push(`no accessible name: ${el.outerHTML.slice(0, 80)}`);
  }
  const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1]));
  if (levels.filter((level) => level === 1).length !== 1) problems.push(`h1 count: ${levels.join(",")}`);
  levels.forEach((level, i) => {
    if (i === 0 && level !== 1) problems.push(`first heading is h${level}`);
    if (i > 0 && level > levels[i - 1] + 1) problems.push(`heading skips h${levels[i - 1]} -> h${level}`);
  });
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  if (!document.title.trim()) problems.push("empty <title>");
  return problems;
}"""


def assert_accessible(page: Page) -> None:
    problems = page.evaluate(A11Y_CHECK)
    assert problems == [], f"{page.url}: {problems}"


def screenshot(page: Page, name: str, *, phone: bool = False) -> Path:
    """A full-page screenshot under test-output/screenshots, optionally at phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if phone:
        page.set_viewport_size(PHONE)
    page.screenshot(path=str(path), full_page=True)
    if phone:
        page.set_viewport_size(DESKTOP)
    return path


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


PLAYER_READY = "() => { const v = document.querySelector('#result-video'); return v && v.readyState >= 1; }"
PLAYING = "() => document.querySelector('#result-video').currentTime > 0.2"
SEEK_TO_80_PERCENT = """() => new Promise((resolve) => {
  const v = document.querySelector('#result-video');
  v.addEventListener('seeked', () => resolve(v.currentTime), { once: true });
  v.currentTime = v.duration * 0.8;
})"""


def image_loads(page: Page, image: Locator) -> None:
    """Wait until the image has arrived and decoded (a lazy one loads after the page does,
    once it is in view)."""
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def record_responses(page: Page) -> list[tuple[str, int, str | None]]:
    """From now on, every response the page receives as (url, status, the request's Range)."""
    responses: list[tuple[str, int, str | None]] = []
    page.on("response", lambda r: responses.append((r.url, r.status, r.request.header_value("range"))))
    return responses


def play_and_seek(page: Page) -> tuple[float, float]:
    """Play the result page's video (muted: no gesture needed) until it has played a moment,
    then seek to 80 %. Returns the player's duration and where the seek landed."""
    page.wait_for_function(PLAYER_READY)
    page.evaluate(
        "() => { const v = document.querySelector('#result-video'); v.muted = true; return v.play(); }"
    )
    page.wait_for_function(PLAYING)
    landed = page.evaluate(SEEK_TO_80_PERCENT)
    return page.evaluate("() => document.querySelector('#result-video').duration"), landed
