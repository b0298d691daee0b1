"""What the tests share and are not tests themselves: the NumPy oracles
(``reference_conv``, ``reference_depthwise``, ``reference_resample``), the Keras oracle
(``keras_oracle``), the non-finite weight helpers (``nonfinite``), the array-edge views
(``offset_views``) and the widget tests' strategies and SVG readers (``widget_cases``).

Import the module you need (``from tests.support import reference_conv as ref``): this file
imports none of them, so a test that must not load Keras (``test_kernel_bounds.py``, run
under AddressSanitizer) does not get it through the package.
"""
