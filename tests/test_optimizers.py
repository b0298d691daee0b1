"""convkit.optimizers against Keras 3: weights and every optimizer variable after each step,
for each optimizer × its variants, clipping, weight decay, schedules and constraints."""

import pickle

import jax
import numpy as np
import pytest

from convkit import constraints, optimizers
from convkit.layers.variable import Variable
from convkit.optimizers import schedules
from tests.support.keras_oracle import keras

SHAPES = {"dense/kernel": (3, 2), "dense/bias": (2,)}
SCHEDULES = {
    "exponential": ("ExponentialDecay", {"initial_learning_rate": 0.05, "decay_steps": 2,
                                         "decay_rate": 0.5}),
    "exponential_staircase": ("ExponentialDecay", {"initial_learning_rate": 0.05,
                                                   "decay_steps": 2, "decay_rate": 0.5,
                                                   "staircase": True}),
    "cosine_warmup": ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 3,
                                      "alpha": 0.1, "warmup_target": 0.05,
                                      "warmup_steps": 2}),
    "cosine": ("CosineDecay", {"initial_learning_rate": 0.05, "decay_steps": 2}),
    "piecewise": ("PiecewiseConstantDecay", {"boundaries": [0, 2], "values": [0.05, 0.02,
                                                                           0.01]}),
}
VARIANTS = {
    "SGD": [{}, {"momentum": 0.9}, {"momentum": 0.8, "nesterov": True}],
    "Adam": [{}, {"amsgrad": True}],
    "AdamW": [{}, {"amsgrad": True, "weight_decay": 0.1}],
    "RMSprop": [{}, {"momentum": 0.5}, {"centered": True}, {"centered": True, "momentum": 0.3}],
    "Adagrad": [{}, {"initial_accumulator_value": 0.5}],
}
SHARED = [{"clipnorm": 0.5}, {"clipvalue": 0.3}, {"global_clipnorm": 0.7},
          {"weight_decay": 0.05}] + [{"schedule": name} for name in SCHEDULES]


def build_kwargs(kwargs, module):
    kwargs = dict(kwargs)
    if "schedule" in kwargs:
        cls_name, args = SCHEDULES[kwargs.pop("schedule")]
        kwargs["learning_rate"] = getattr(module, cls_name)(**args)
    else:
        kwargs.setdefault("learning_rate", 0.05)
    return kwargs


def start_values(seed=0):
    rng = np.random.default_rng(seed)
    weights = {p: rng.normal(size=s).astype("float32") for p, s in SHAPES.items()}
    grads = [[rng.normal(size=s).astype("float32") * 2 for s in SHAPES.values()]
             for _ in range(4)]
    return weights, grads


def run_keras(name, kwargs, weights, grads, constraint=None):
    opt = getattr(keras.optimizers, name)(**build_kwargs(kwargs, keras.optimizers.schedules))
    kvars = [keras.Variable(w, name=p.split("/")[1]) for p, w in weights.items()]
    for v in kvars:
        v.constraint = constraint  # Keras 3.15's Variable() drops a `constraint=` argument
    opt.build(kvars)
    history = []
    if constraint is not None:  # Keras's own apply, constraints included
        for g in grads:
            opt.apply(g, kvars)
            history.append(([np.asarray(v.value) for v in kvars],
                            [np.asarray(v.value) for v in opt.variables]))
        return history, [(v.path, v.name) for v in opt.variables]
    step = jax.jit(opt.stateless_apply)  # one compile instead of jax's op-by-op first run
    train, state = [v.value for v in kvars], [v.value for v in opt.variables]
    for g in grads:
        train, state = step(state, g, train)
        history.append(([np.asarray(t) for t in train], [np.asarray(s) for s in state]))
    return history, [(v.path, v.name) for v in opt.variables]


def run_convkit(name, kwargs, weights, grads, constraint=None):
    opt = getattr(optimizers, name)(**build_kwargs(kwargs, schedules))
    cvars = [Variable(w, name=p.split("/")[1], path=p.split("/")[1], constraint=constraint)
             for p, w in weights.items()]
    history = []
    for g in grads:
        opt.apply(g, cvars)
        history.append(([v.numpy() for v in cvars], opt.get_state()))
    return history, opt


def assert_same_history(ours, theirs, rtol=1e-5):
    for step, ((w_ours, s_ours), (w_keras, s_keras)) in enumerate(zip(ours, theirs)):
        assert len(s_ours) == len(s_keras), step
        for a, b in zip(w_ours + s_ours, w_keras + s_keras):
            assert a.dtype == b.dtype and a.shape == b.shape, (step, a.dtype, b.dtype)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6, err_msg=f"step {step}")


def check(name, kwargs, constraint_pair=(None, None)):
    weights, grads = start_values()
    theirs, keras_names = run_keras(name, kwargs, weights, grads, constraint_pair[1])
    ours, opt = run_convkit(name, kwargs, weights, grads, constraint_pair[0])
    assert [v.name for v in opt.variables] == [n for _, n in keras_names]
    assert [v.path.split("/", 1)[1] for v in opt.variables] == \
        [p.split("/", 1)[1] for p, _ in keras_names]
    assert_same_history(ours, theirs)


FAST = [(n, v) for n, vs in VARIANTS.items() for v in vs]
SWEEP = [(n, s) for n in VARIANTS for s in SHARED]


@pytest.mark.parametrize("name, kwargs", FAST, ids=[f"{n}-{v}" for n, v in FAST])
def test_variants_match_keras(name, kwargs):
    check(name, kwargs)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"clipnorm": 0.5}), ("Adam", {"clipvalue": 0.3}),
    ("RMSprop", {"global_clipnorm": 0.7}), ("Adagrad", {"weight_decay": 0.05}),
    ("SGD", {"schedule": "piecewise", "momentum": 0.5}), ("Adam", {"schedule": "exponential"}),
    ("RMSprop", {"schedule": "cosine_warmup"})], ids=str)
def test_shared_arguments_match_keras(name, kwargs):
    check(name, kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs", SWEEP, ids=[f"{n}-{v}" for n, v in SWEEP])
def test_every_optimizer_with_every_shared_argument(name, kwargs):
    check(name, kwargs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_constraints_apply_after_the_update(name):
    check(name, {"momentum": 0.5} if name != "Adam" else {},
          (constraints.NonNeg(), keras.constraints.NonNeg()))
    check(name, {"weight_decay": 0.1},
          (constraints.MaxNorm(0.8, axis=0), keras.constraints.MaxNorm(0.8, axis=0)))


def test_none_gradients_are_dropped_and_still_counted():
    weights, grads = start_values()
    cvars = [Variable(w, name=p.split("/")[1]) for p, w in weights.items()]
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply([None, grads[0][1]], cvars)
    np.testing.assert_array_equal(cvars[0].numpy(), weights["dense/kernel"])
    np.testing.assert_allclose(cvars[1].numpy(), weights["dense/bias"] - 0.1 * grads[0][1],
                               rtol=1e-6)
    assert int(opt.iterations.value) == 1 and len(opt.variables) == 4
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply([None, None], cvars)
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([grads[0][0]], [Variable(weights["dense/kernel"], name="other")])


def test_exclude_from_weight_decay_by_name_and_by_variable():
    weights, grads = start_values()
    for exclude in ({"var_names": ["bias"]}, "list"):
        cvars = [Variable(w, name=p.split("/")[1]) for p, w in weights.items()]
        opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
        if exclude == "list":
            opt.exclude_from_weight_decay(var_list=[cvars[1]])
        else:
            opt.exclude_from_weight_decay(**exclude)
        opt.apply(grads[0], cvars)
        kernel, bias = weights["dense/kernel"], weights["dense/bias"]
        np.testing.assert_allclose(cvars[0].numpy(), kernel - kernel * 0.05 - 0.1 * grads[0][0],
                                   rtol=1e-6)
        np.testing.assert_allclose(cvars[1].numpy(), bias - 0.1 * grads[0][1], rtol=1e-6)
        with pytest.raises(ValueError, match="before the optimizer is built"):
            opt.exclude_from_weight_decay(var_names=["kernel"])


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"momentum": 0.9, "nesterov": True}), ("Adam", {"amsgrad": True, "clipnorm": 1.0}),
    ("AdamW", {}), ("RMSprop", {"centered": True, "momentum": 0.2}),
    ("Adagrad", {"global_clipnorm": 2.0}), ("SGD", {"schedule": "exponential"}),
    ("Adam", {"schedule": "cosine_warmup"}), ("RMSprop", {"schedule": "piecewise"})], ids=str)
def test_config_matches_keras_and_round_trips(name, kwargs):
    ours = getattr(optimizers, name)(name="opt", **build_kwargs(kwargs, schedules))
    theirs = getattr(keras.optimizers, name)(name="opt", **build_kwargs(
        kwargs, keras.optimizers.schedules))
    assert ours.get_config() == theirs.get_config()
    rebuilt = optimizers.deserialize(optimizers.serialize(ours))
    assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()
    assert keras.optimizers.deserialize(optimizers.serialize(ours)).get_config() == \
        theirs.get_config()


def test_defaults_names_and_get():
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        ours, theirs = getattr(optimizers, name)(), getattr(keras.optimizers, name)()
        strip = {"name"}
        assert {k: v for k, v in ours.get_config().items() if k not in strip} == \
            {k: v for k, v in theirs.get_config().items() if k not in strip}
        assert ours.name.rsplit("_", 1)[0] in theirs.name
    assert ours.get_config()["learning_rate"] == 0.0010000000474974513
    for ident in ("adam", "Adam", "sgd", "rmsprop", "adagrad", "adamw"):
        assert type(optimizers.get(ident)).__name__ == type(keras.optimizers.get(ident)).__name__
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get("nadamx")


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": -0.1}, "learning_rate=-0.1"), ({"learning_rate": 1}, "learning_rate=1"),
    ({"learning_rate": np.float32(0.1)}, "learning_rate="),
    ({"clipnorm": 1.0, "clipvalue": 1.0}, "Only one of"),
    ({"momentum": 1.5}, "momentum"), ({"momentum": 1}, "momentum"),
    ({"weight_decay": -1.0}, "weight_decay=-1.0"), ({"use_ema": True}, "use_ema"),
    ({"nonsense": 1}, "not recognized")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.SGD(**kwargs)
    if "learning_rate" in kwargs and kwargs["learning_rate"] != -0.1:
        with pytest.raises(ValueError, match=match):  # Keras rejects these too
            keras.optimizers.SGD(**kwargs)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_state_restore_and_pickle_continue_identically():
    weights, grads = start_values(3)
    cvars = [Variable(w, name=p.split("/")[1]) for p, w in weights.items()]
    opt = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    opt.apply(grads[0], cvars)
    opt.apply(grads[1], cvars)
    saved_state, saved_weights = opt.get_state(), [v.numpy() for v in cvars]
    copy_vars, copy_opt = pickle.loads(pickle.dumps((cvars, opt)))
    opt.apply(grads[2], cvars)
    copy_opt.apply(grads[2], copy_vars)
    for a, b in zip([v.numpy() for v in cvars] + opt.get_state(),
                    [v.numpy() for v in copy_vars] + copy_opt.get_state()):
        np.testing.assert_array_equal(a, b)
    fresh = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    fresh.build(copy_vars)
    fresh.set_state(saved_state)
    for v, w in zip(copy_vars, saved_weights):
        v.assign(w)
    fresh.apply(grads[2], copy_vars)
    for a, b in zip([v.numpy() for v in cvars], [v.numpy() for v in copy_vars]):
        np.testing.assert_array_equal(a, b)
    assert int(fresh.iterations.value) == 3
    with pytest.raises(ValueError, match="has 8 variables"):
        fresh.set_state(saved_state[:3])


def test_learning_rate_property_and_setter():
    opt = optimizers.SGD(learning_rate=0.1)
    assert opt.learning_rate == np.float32(0.1)
    opt.learning_rate = 0.2
    assert opt.variables[1].numpy() == np.float32(0.2)
    scheduled = optimizers.SGD(schedules.PiecewiseConstantDecay([0], [1.0, 0.5]))
    assert [v.name for v in scheduled.variables] == ["iteration"]
    with pytest.raises(TypeError, match="schedule"):
        scheduled.learning_rate = 0.3
