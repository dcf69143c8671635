"""Every lab, opened in JupyterLab in a real browser, the way a student sees it.

For each lab found in ``labs/`` (at run time, so new labs are covered when they land): open the
filled-in version (the solution notebook), Run All Cells from the menu, wait for the last cell,
then check that no cell shows an error, that every plot the notebook made is on the page as a
decoded image, and that no widget failed to display; a screenshot of each lab is saved.
For lab 03 the optimizer playground is used like a person would: the learning-rate slider is
dragged (the plot changes) and Play advances the step counter. nbgrader's Validate button
reports the failing exercises of a release notebook and success on a filled-in one.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

RUN_TIMEOUT_S = 300  # one lab, Run All: about a minute on a laptop, a few on a busy CI core
VALIDATE_TIMEOUT_S = 240
PLAYGROUND_LAB = "03_optimizers"

PROMPTS_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .map(e => e.textContent.trim())"""


def open_notebook(page, server, path: str) -> None:
    """Open ``path`` in a workspace of its own (nothing else restored beside it)."""
    workspace = re.sub(r"\W", "-", path)
    page.goto(f"{server['url']}/lab/workspaces/{workspace}/tree/{path}?token={server['token']}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
    # the kernel has started when the status bar says so
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\|\s*Idle")).first.wait_for(
        timeout=90_000
    )


def menu(page, top: str, item: str) -> None:
    """Click ``top`` in the menu bar, then the menu item labelled ``item`` (a regex)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(f"^{top}$")).click()
    label = page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$"))
    page.locator(".lm-Menu-item", has=label).first.click()


def run_all_and_wait(page, timeout_s: float) -> list[str]:
    """Run > Run All Cells, then wait until no cell is queued or running. Returns the prompts."""
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + timeout_s
    started = False
    while time.monotonic() < deadline:
        prompts = page.evaluate(PROMPTS_JS)
        busy = any("*" in p for p in prompts)
        started = started or busy or all(re.fullmatch(r"\[\d+\]:", p) for p in prompts)
        if started and not busy:
            return prompts
        time.sleep(0.5)
    pytest.fail(f"Run All did not finish in {timeout_s} s; prompts: {page.evaluate(PROMPTS_JS)}")


def save(page, server, path: str) -> dict:
    """File > Save, then the notebook as written to disk (with its outputs)."""
    menu(page, "File", "Save Notebook")
    file = Path(server["root"]) / path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            nb = json.loads(file.read_text())
        except json.JSONDecodeError:  # caught mid-write (the server truncates, then writes)
            time.sleep(0.5)
            continue
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if code and all(c.get("execution_count") for c in code):
            return nb
        time.sleep(0.5)
    pytest.fail(f"{path}: the saved notebook never held every cell's output")


def error_outputs(nb: dict) -> list[str]:
    found = []
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"cell {index}: {output['ename']}: {output['evalue']}")
    return found


def plot_outputs(nb: dict) -> int:
    """Outputs that are pictures: a PNG (matplotlib) or an SVG (the graph drawings)."""
    return sum(
        bool({"image/png", "image/svg+xml"} & set(output.get("data", {})))
        for cell in nb["cells"]
        for output in cell.get("outputs", [])
    )


def rendered_images(page) -> int:
    """Pictures in the outputs on the page that the browser has drawn: decoded images (natural
    width > 0) and inline SVG with a size."""
    return page.evaluate(
        """() => {
            const panel = '.jp-NotebookPanel:not(.lm-mod-hidden) ';
            const imgs = [...document.querySelectorAll(
                panel + '.jp-RenderedImage img, ' + panel + '.jp-RenderedSVG img')]
                .filter(img => img.complete && img.naturalWidth > 0).length;
            const svgs = [...document.querySelectorAll(panel + '.jp-RenderedSVG > svg')]
                .filter(svg => svg.getBoundingClientRect().width > 0).length;
            return imgs + svgs;
        }"""
    )


def page_errors(page) -> list[str]:
    """What the page shows as an error: tracebacks in outputs, widgets that failed."""
    return page.evaluate(
        """() => {
            const panel = '.jp-NotebookPanel:not(.lm-mod-hidden) ';
            const out = [];
            for (const e of document.querySelectorAll(panel + '.jp-OutputArea-output')) {
                const text = e.textContent || '';
                if (/Traceback \\(most recent call last\\)|Error displaying widget/.test(text))
                    out.push(text.slice(0, 300));
            }
            return out;
        }"""
    )


def test_lab_runs_in_jupyterlab(lab, page, lab_server, screenshots):
    path = f"{lab}/{lab}.ipynb"
    if not (Path(lab_server["root"]) / path).exists():
        pytest.skip(f"solutions/{lab}/{lab}.ipynb is not in this checkout (private --source?)")
    began = time.monotonic()
    open_notebook(page, lab_server, path)
    prompts = run_all_and_wait(page, RUN_TIMEOUT_S)
    nb = save(page, lab_server, path)
    elapsed = time.monotonic() - began

    assert not error_outputs(nb), f"{lab}: cells raised: {error_outputs(nb)}"
    assert not page_errors(page), f"{lab}: the page shows errors: {page_errors(page)}"
    unrun = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
    assert not unrun, f"{lab}: code cells {unrun} did not run (prompts {prompts})"

    plots = plot_outputs(nb)
    assert plots >= 1, f"{lab}: no plot (PNG or SVG output) at all"
    deadline = time.monotonic() + 30
    while rendered_images(page) < plots and time.monotonic() < deadline:
        time.sleep(0.5)
    assert rendered_images(page) == plots, (
        f"{lab}: {plots} plots in the outputs, {rendered_images(page)} decoded images on the page"
    )

    first_plot = page.locator(
        ".jp-NotebookPanel:not(.lm-mod-hidden) :is(.jp-RenderedImage, .jp-RenderedSVG)"
    ).first
    first_plot.scroll_into_view_if_needed()
    shot = screenshots / f"{lab}.png"
    page.screenshot(path=str(shot))
    print(f"{lab}: ran in the browser in {elapsed:.0f} s, {plots} plots; screenshot {shot}")

    if lab == PLAYGROUND_LAB:
        check_playground(page, screenshots)


def check_playground(page, screenshots: Path) -> None:
    """The widget is there; dragging the learning rate redraws; Play advances the counter."""
    playground = page.locator(".optimizer-playground").first
    playground.wait_for(timeout=30_000)
    playground.scroll_into_view_if_needed()
    figure = playground.locator("img.playground-figure")
    step = playground.locator(".playground-step")
    figure.wait_for()
    page.wait_for_function(
        "e => e.complete && e.naturalWidth > 0", arg=figure.element_handle(), timeout=30_000
    )
    page.screenshot(path=str(screenshots / f"{PLAYGROUND_LAB}_playground.png"))
    before = figure.screenshot()

    lr = playground.locator(".widget-slider", has_text="learning rate").first
    readout = lr.locator(".widget-readout")
    old_lr = readout.text_content()
    handle = lr.locator(".noUi-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 6, y, steps=3)  # a little to the left: a smaller learning rate
    page.mouse.up()
    new_lr = readout.text_content()
    assert new_lr != old_lr, f"dragging the learning-rate slider left it at {old_lr}"

    deadline = time.monotonic() + 30
    while figure.screenshot() == before:
        assert time.monotonic() < deadline, (
            f"learning rate moved {old_lr} -> {new_lr} but the plot did not change"
        )
        time.sleep(0.5)
    page.screenshot(path=str(screenshots / f"{PLAYGROUND_LAB}_playground_lr.png"))

    def counter() -> tuple[int, int]:
        match = re.fullmatch(r"step (\d+) / (\d+)", (step.text_content() or "").strip())
        assert match, f"step counter reads {step.text_content()!r}"
        return int(match[1]), int(match[2])

    first, total = counter()
    play_pause = playground.locator(".widget-play button").first
    play_pause.click()  # play: from the last step it starts again at 0
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(set(seen)) < 4:
        time.sleep(0.3)
        seen.append(counter()[0])
    play_pause.click()  # pause
    page.screenshot(path=str(screenshots / f"{PLAYGROUND_LAB}_playground_play.png"))
    steps = list(dict.fromkeys(seen))[1:]  # the first read may still be the last step
    assert len(steps) >= 3 and all(s < total for s in steps) and steps == sorted(steps), (
        f"Play did not advance the step counter: it read {seen} after {first} (of {total} steps)"
    )

@pytest.mark.parametrize("version", ["release", "solution"])
def test_validate_button(version, validate_lab, page, lab_server, screenshots):
    lab = validate_lab
    path = f"validate/{lab}_{version}.ipynb"
    open_notebook(page, lab_server, path)
    button = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button").first
    button.wait_for(timeout=30_000)
    button.click()
    message = page.locator(".jp-Dialog #validation-message")
    message.wait_for(timeout=VALIDATE_TIMEOUT_S * 1000)
    page.screenshot(path=str(screenshots / f"validate_{lab}_{version}.png"))
    text = message.inner_text()
    classes = message.get_attribute("class") or ""
    page.locator(".jp-Dialog .jp-mod-accept").first.click()
    if version == "release":
        assert "validation-failed" in classes, f"Validate on the blank {lab} said: {text[:500]}"
        release = json.loads((Path(lab_server["root"]) / path).read_text())
        graded = sum(
            bool(c.get("metadata", {}).get("nbgrader", {}).get("grade")) for c in release["cells"]
        )
        failed = text.count("The following cell failed:")
        assert failed == graded and "NotImplementedError" in text, (
            f"Validate on the blank {lab} listed {failed} failing cells, expected all {graded} "
            f"test cells: {text[:1000]}"
        )
        print(f"Validate on the release {lab}: all {failed} test cells reported failing")
    else:
        assert "validation-success" in classes, f"Validate on the solved {lab} said: {text[:1000]}"
        assert "Success! Your notebook passes all the tests." in text
