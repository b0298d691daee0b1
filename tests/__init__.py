"""convkit's test suite. A package, so that every test module and the helpers in
:mod:`tests.support` have one dotted name (``tests.test_ops_conv``,
``tests.support.reference_conv``) whichever folder pytest starts from."""
