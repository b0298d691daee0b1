"""Shared test set-up: Keras oracle on jax, hypothesis profiles.

Profiles: ``dev`` (default, quick), ``ci`` (derandomised, more examples; chosen when ``CI`` is
set, as in ``.ci/run``). Select explicitly with ``--hypothesis-profile``.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=80, deadline=None, derandomize=True,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")
