"""TrainingLab: a Conv2D learning a known kernel by convkit's fit, in chunks, deterministic.

T0 (the run, no ipywidgets) and T1 (headless widget driven tick by tick, as the browser's Play
would). convkit's fit itself is checked against Keras in the training tests.
"""

import numpy as np
import pytest
from convkit.widgets import TrainingLab
from convkit.widgets.scene.training import OPTIMIZERS, TARGETS, TrainingRun, training_photos

from convkit import layers, models, ops, optimizers
from tests.support.svg import svg_root
from tests.widgets.conftest import n_widgets


def _tick(lab, n=1):
    """What the browser's Play does while playing: move its value forward."""
    lab.play.playing = True
    for _ in range(n):
        lab.play.value += 1


def test_photos_are_standardised_and_targets_are_ops_conv():
    photos = training_photos(24)
    np.testing.assert_allclose(photos.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(photos.std(axis=(1, 2, 3)), 1, atol=1e-5)
    run = TrainingRun("Sobel y", size=24)
    np.testing.assert_array_equal(
        run.targets, ops.conv(photos, run.target[:, :, None, None], padding="same"))


def test_converges_to_the_target_within_tolerance_in_bounded_steps():
    lab = TrainingLab(target="Sobel x", epochs_per_frame=5)
    try:
        _tick(lab, 12)                 # 60 epochs = 180 batches
        assert lab.run.epochs == 60 and lab.run.batches == 180
        assert lab.run.kernel_error() < 1e-2
        assert lab.run.curve[-1][1] < 1e-4 * lab.run.curve[0][1]
        assert "✗" not in lab.badges.value
    finally:
        lab.close()


@pytest.mark.parametrize("target", ["Gaussian", "Laplacian"])
def test_converges_for_other_targets_with_adam(target):
    run = TrainingRun(target, "Adam")
    run.fit_epochs(60)
    assert run.kernel_error() < 2e-2


def _reference_model(seed=0, optimizer=None):
    run = TrainingRun(seed=seed)    # only for its photos, targets and seeded start
    model = models.Sequential([layers.Conv2D(1, 3, padding="same", use_bias=False,
                                             input_shape=(48, 48, 1))])
    model.set_weights([run.start])
    model.compile(optimizer=optimizer or optimizers.SGD(learning_rate=0.05, momentum=0.9),
                  loss="mse")
    return run, model


def test_the_loss_shown_is_the_models_loss():
    lab = TrainingLab()
    try:
        _tick(lab, 3)
        run, model = _reference_model()
        history = model.fit(run.photos, run.targets, batch_size=1, epochs=3, shuffle=False,
                            verbose=0)
        # the curve is fit's own epoch losses, chunk by chunk = one fit of three epochs
        np.testing.assert_allclose([v for _, v in lab.run.curve], history.history["loss"],
                                   rtol=1e-6)
        evaluated = float(np.asarray(lab.run.model.evaluate(lab.run.photos, lab.run.targets,
                                                            verbose=0)).reshape(-1)[0])
        assert lab.scene().loss == pytest.approx(evaluated, rel=1e-7)
        assert f"loss now {evaluated:.4g}" in lab.status.value
        np.testing.assert_allclose(lab.run.kernel(), model.get_weights()[0][:, :, 0, 0],
                                   rtol=1e-6, atol=1e-7)
    finally:
        lab.close()


def test_step_one_batch_equals_one_train_on_batch():
    lab = TrainingLab()
    try:
        loss = lab.step_batch()
        run, model = _reference_model()
        expected = float(np.asarray(model.train_on_batch(run.photos[:1], run.targets[:1]))
                         .reshape(-1)[0])
        assert loss == expected and lab.run.curve == [(1, expected)]
        np.testing.assert_array_equal(lab.run.kernel(), model.get_weights()[0][:, :, 0, 0])
        lab.step_batch()            # the next photo
        model.train_on_batch(run.photos[1:2], run.targets[1:2])
        np.testing.assert_array_equal(lab.run.kernel(), model.get_weights()[0][:, :, 0, 0])
        assert "batch 2" in lab.status.value
    finally:
        lab.close()


def test_pause_stops_training_and_reset_restores_the_seeded_start():
    lab = TrainingLab(seed=3)
    try:
        start = lab.run.kernel().copy()
        first_view = lab.view.value
        _tick(lab, 2)
        assert lab.run.epochs == 2
        lab.pause()
        lab.play.value += 1           # a tick already in flight when paused
        lab.play.value += 1
        assert lab.run.epochs == 2 and not lab.play.playing
        lab.reset()
        assert lab.run.epochs == lab.run.batches == 0 and lab.run.curve == []
        assert lab.play.value == 0 and not lab.play.playing
        np.testing.assert_array_equal(lab.run.kernel(), start)
        assert lab.view.value == first_view
        # determinism: the same seed gives the same run
        _tick(lab, 2)
        other = TrainingLab(seed=3)
        try:
            _tick(other, 2)
            np.testing.assert_array_equal(lab.run.kernel(), other.run.kernel())
        finally:
            other.close()
    finally:
        lab.close()


def test_diverging_rate_stops_play_and_says_so():
    lab = TrainingLab(optimizer="SGD", learning_rate=0.5)
    try:
        _tick(lab, 10)
        assert not lab.play.playing
        assert "diverged" in lab.status.value
        epochs = lab.run.epochs
        lab.play.value += 1
        assert lab.run.epochs == epochs
    finally:
        lab.close()


SETTINGS = [dict(target=t) for t in TARGETS] + [dict(optimizer=o) for o in OPTIMIZERS] + [
    dict(seed=5, learning_rate=0.02), dict(size=24, epochs_per_frame=3)]


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_settings_build_and_train_one_frame(kwargs):
    lab = TrainingLab(**kwargs)
    try:
        count = lab.render_count
        _tick(lab)
        assert lab.render_count == count + 1
        assert lab.run.epochs == kwargs.get("epochs_per_frame", 1)
        assert lab.badges.value.count("✓") == 2
        root = svg_root(lab.view.value)
        assert root.get("aria-label") == lab.scene().caption
        assert lab.run.optimizer_name == kwargs.get("optimizer", "SGD + momentum")
    finally:
        lab.close()


def test_controls_start_a_new_run_and_keyboard_controls():
    lab = TrainingLab()
    try:
        _tick(lab, 2)
        lab.target.value = "Gaussian"       # dropdown by keyboard
        assert lab.run.target_name == "Gaussian" and lab.run.epochs == 0
        assert "TARGET Gaussian" in lab.view.value
        count = lab.render_count
        lab.optimizer.value = "Adam"           # takes Adam's rate: one new run, one render
        assert lab.render_count == count + 1
        assert lab.learning_rate.value == OPTIMIZERS["Adam"]
        assert lab.run.learning_rate == OPTIMIZERS["Adam"]
        lab.learning_rate.value = 0.01      # typed
        assert lab.run.learning_rate == 0.01 and "Adam(learning_rate=0.01)" in lab.code.value
        count = lab.render_count
        lab.photo.value = 2                 # only the drawing changes
        assert lab.render_count == count + 1 and lab.run.epochs == 0
        lab.contrast.value = True
        assert "stroke-width:5" in lab.view.value
        assert lab.frame().shape[2] == 3
    finally:
        lab.close()


def test_badges_fail_when_a_number_shown_is_corrupted():
    lab = TrainingLab()
    try:
        run = lab.run
        assert [b.ok for b in run.scene().badges] == [True, True]
        real_loss = run.loss
        run.loss = lambda: real_loss() * 1.01          # the loss readout alone is wrong
        assert [b.ok for b in run.scene().badges] == [True, False]
        run.loss = real_loss
        real = run.model.predict                        # the model's output is wrong
        run.model.predict = lambda x, **kw: np.asarray(real(x, **kw)) + 1.0
        scene = run.scene()
        assert [b.ok for b in scene.badges] == [False, False]
        assert "DIFFERS" in scene.badges[0].text
    finally:
        lab.close()


def test_quiz_feature_map_value_right_and_wrong():
    lab = TrainingLab(quiz=True)
    try:
        q = lab.quiz
        assert lab.view.layout.display == "none" and "Predict" in q.prompt.value
        assert q.submit(str(q.question.answer + 1)) is False
        assert "Not quite" in q.feedback.value and lab.view.layout.display is None
        _tick(lab)                          # a new picture: predict again
        assert lab.view.layout.display == "none"
        assert q.submit(f"{q.question.answer:.4f}") is True
        q.new_exercise()
        assert q.question is not None and q.score == [1, 2]
    finally:
        lab.close()


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="`target`"):
        TrainingLab(target="Sobel z")
    with pytest.raises(ValueError, match="`optimizer`"):
        TrainingLab(optimizer="Adagrad")
    with pytest.raises(ValueError, match="`learning_rate`"):
        TrainingLab(learning_rate=-1.0)
    with pytest.raises(ValueError, match="`learning_rate`"):
        TrainingRun(learning_rate=float("nan"))
    with pytest.raises(ValueError, match="`size`"):
        TrainingRun(size=2)
    with pytest.raises(ValueError, match="`n`"):
        TrainingRun().fit_epochs(0)


def test_no_widget_leak_and_close_releases_all():
    start = n_widgets()
    lab = TrainingLab()
    built = n_widgets()
    _tick(lab, 20)
    lab.step_batch()
    lab.reset()
    assert n_widgets() == built
    lab.close()
    assert n_widgets() == start
