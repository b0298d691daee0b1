"""The classroom notebook in a real browser: keyboard sliders, Play, offline, screenshot."""

import re

from playwright.sync_api import expect

TIMEOUT = 120_000


def _first_explorer(page, voila_url):
    page.goto(voila_url, timeout=TIMEOUT)
    caption = page.locator(".widget-html-content", has_text="Step 1 of 9").first
    expect(caption).to_be_visible(timeout=TIMEOUT)
    return caption


def _sliders(page, label):
    return page.locator(".widget-slider", has=page.locator("label", has_text=label))


def test_keyboard_slider_changes_rendered_output(page, voila_url, hosts, shots):
    _first_explorer(page, voila_url)
    svg = page.locator("svg[role=img]").first
    before = svg.get_attribute("aria-label")
    assert before.startswith("Step 1 of 9")
    handle = _sliders(page, "input height").first.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")  # 5×5 → 6×6 input, locked axes: 4×4 outputs
    expect(page.locator(".widget-html-content", has_text="Step 1 of 16").first).to_be_visible(
        timeout=TIMEOUT)
    expect(svg).to_have_attribute("aria-label", re.compile(r"^Step 1 of 16"), timeout=TIMEOUT)
    page.screenshot(path=str(shots / "voila_conv_after_slider.png"), full_page=False)
    assert hosts and all(h.startswith("127.0.0.1") for h in hosts), hosts


def test_play_advances_the_step(page, voila_url):
    _first_explorer(page, voila_url)
    readout = _sliders(page, "step").first.locator(".widget-readout")
    expect(readout).to_have_text("0", timeout=TIMEOUT)
    page.locator(".widget-play button").first.click()
    expect(readout).not_to_have_text("0", timeout=30_000)
    expect(page.locator("svg[role=img]").first).not_to_have_attribute(
        "aria-label", re.compile(r"^Step 1 of"), timeout=30_000)


def test_every_explorer_renders_and_image_lab_reacts(page, voila_url):
    _first_explorer(page, voila_url)
    expect(page.locator(".widget-html-content", has_text="identical ✓").first).to_be_visible(
        timeout=TIMEOUT)
    expect(page.locator(".widget-html-content", has_text="Taps of OUTPUT").first).to_be_visible(
        timeout=TIMEOUT)
    image = page.locator(".widget-image:visible").first
    expect(image).to_be_visible(timeout=TIMEOUT)
    src = image.get_attribute("src")
    lab = page.locator(".widget-vbox", has=image).last  # the lab, not a later explorer
    handle = lab.locator(".widget-slider", has=page.locator("label", has_text="stride")
                         ).first.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")
    expect(image).not_to_have_attribute("src", src, timeout=TIMEOUT)


def _explorer(page, text):
    """The innermost explorer box showing ``text`` (its badges or a label)."""
    return page.locator(".widget-vbox", has=page.locator(".widget-html-content",
                                                         has_text=text)).last


def test_second_lesson_renders_reacts_to_keyboard_and_quiz_at_1280x720(page, voila_url, shots):
    page.set_viewport_size({"width": 1280, "height": 720})
    _first_explorer(page, voila_url)
    # BackpropExplorer: badges checked live against layer.backward, then one arrow key
    backprop = _explorer(page, "flipped-kernel view = layer.backward dx ✓")
    expect(backprop).to_be_visible(timeout=TIMEOUT)
    svg = backprop.locator("svg[role=img]").first
    expect(svg).to_have_attribute("aria-label", re.compile(r"^Step 1 of 9"), timeout=TIMEOUT)
    stride = backprop.locator(".widget-slider", has=page.locator("label", has_text="stride"))
    handle = stride.first.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")  # stride 2 → 3: 5×5 'same' gives 2×2 outputs
    expect(svg).to_have_attribute("aria-label", re.compile(r"^Step 1 of 4"), timeout=TIMEOUT)
    expect(backprop.locator(".widget-html-content", has_text="✗")).to_have_count(0)
    page.screenshot(path=str(shots / "voila_backprop_1280x720.png"), full_page=False)
    # ReceptiveFieldExplorer starts in quiz mode: the picture stays hidden until answered
    fields = _explorer(page, "receptive field = perturbing each input cell through the model")
    expect(fields).to_be_visible(timeout=TIMEOUT)
    expect(fields.locator(".widget-html-content", has_text="how many input cells wide")
           ).to_be_visible()
    picture = fields.locator("svg[role=img]")
    expect(picture).to_be_hidden()
    answer = fields.locator(".widget-text", has=page.locator("label", has_text="your answer"))
    box = answer.locator("input")
    box.scroll_into_view_if_needed()
    box.fill("7")
    box.press("Enter")
    expect(fields.locator(".widget-html-content", has_text="✓ Right")).to_be_visible(
        timeout=TIMEOUT)
    expect(picture).to_be_visible(timeout=TIMEOUT)
    expect(picture).to_have_attribute("aria-label", re.compile(r"Receptive field 7×7"))
    page.screenshot(path=str(shots / "voila_receptive_field_quiz_1280x720.png"),
                    full_page=False)


def test_pooling_and_training_lab_render_react_to_keyboard_and_quiz_at_1280x720(page, voila_url,
                                                                                 shots):
    page.set_viewport_size({"width": 1280, "height": 720})
    _first_explorer(page, voila_url)
    # PoolingExplorer starts in quiz mode: the picture hides until the value is typed
    pooling = _explorer(page, "forward picture = MaxPooling2D output ✓")
    expect(pooling).to_be_visible(timeout=TIMEOUT)
    expect(pooling.locator(".widget-html-content", has_text="What number comes out?")
           ).to_be_visible(timeout=TIMEOUT)
    picture = pooling.locator("svg[role=img]")
    expect(picture).to_be_hidden()
    box = pooling.locator(".widget-text", has=page.locator("label", has_text="your answer")
                          ).locator("input")
    box.scroll_into_view_if_needed()
    box.fill("3")   # seed 0: the first 2×2 window reads 3, 1, −2, −2
    box.press("Enter")
    expect(pooling.locator(".widget-html-content", has_text="✓ Right")).to_be_visible(
        timeout=TIMEOUT)
    expect(picture).to_be_visible(timeout=TIMEOUT)
    expect(picture).to_have_attribute("aria-label", re.compile(r"^Step 1 of 9: OUTPUT \(0, 0\) "
                                                                r"= max of 4"))
    page.screenshot(path=str(shots / "voila_pooling_quiz_1280x720.png"), full_page=False)
    stride = pooling.locator(".widget-slider", has=page.locator("label", has_text="stride"))
    handle = stride.first.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press("ArrowRight")  # stride 2 → 3 on the 6×6 input: 2×2 outputs
    expect(picture).to_have_attribute("aria-label", re.compile(r"^Step 1 of 4"), timeout=TIMEOUT)
    expect(pooling.locator(".widget-html-content", has_text="✗")).to_have_count(0)
    # TrainingLab: one epoch trained by the notebook; "step one batch" by keyboard
    lab = _explorer(page, "feature map = ops.conv(photo, learned kernel) ✓")
    expect(lab).to_be_visible(timeout=TIMEOUT)
    status = lab.locator(".widget-html-content", has_text="loss now")
    expect(status).to_contain_text("epoch 1 · batch 3", timeout=TIMEOUT)
    step = lab.locator("button", has_text="step one batch")
    step.scroll_into_view_if_needed()
    step.focus()
    page.keyboard.press("Enter")
    expect(status).to_contain_text("epoch 1 · batch 4", timeout=TIMEOUT)
    expect(lab.locator("svg[role=img]").first).to_have_attribute(
        "aria-label", re.compile(r"After 1 epochs and 4 batches"), timeout=TIMEOUT)
    page.screenshot(path=str(shots / "voila_training_lab_1280x720.png"), full_page=False)


def test_transposed_quiz_toggle_hides_then_reveals_at_1280x720(page, voila_url, shots):
    from convkit.widgets import TransposedConvExplorer

    # the notebook's TransposedConvExplorer, built headless: its first question's answer
    headless = TransposedConvExplorer(size=2, kernel_size=3, strides=2, quiz=True)
    try:
        question = headless.quiz.question
    finally:
        headless.close()
    page.set_viewport_size({"width": 1280, "height": 720})
    _first_explorer(page, voila_url)
    transposed = _explorer(page, "output_padding ambiguity")
    expect(transposed).to_be_visible(timeout=TIMEOUT)
    picture = transposed.locator("svg[role=img]").first
    expect(picture).to_be_visible(timeout=TIMEOUT)
    toggle = transposed.locator("button", has_text="quiz: predict first")
    toggle.scroll_into_view_if_needed()
    toggle.focus()
    page.keyboard.press("Enter")  # the quiz is off by default: turn it on by keyboard
    expect(transposed.locator(".widget-html-content", has_text="What is OUTPUT (2, 2)?")
           ).to_be_visible(timeout=TIMEOUT)
    expect(picture).to_be_hidden()
    box = transposed.locator(".widget-text", has=page.locator("label", has_text="your answer")
                             ).locator("input")
    box.scroll_into_view_if_needed()
    box.fill(f"{question.answer:g}")  # 36: the four stamps that overlap there
    box.press("Enter")
    expect(transposed.locator(".widget-html-content", has_text="✓ Right")).to_be_visible(
        timeout=TIMEOUT)
    expect(transposed.locator(".widget-html-content", has_text="1·9 + 2·7 + 3·3 + 4·1 = 36")
           ).to_be_visible()
    expect(picture).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(shots / "voila_transposed_quiz_1280x720.png"), full_page=False)
