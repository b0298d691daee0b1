"""Build convkit's Cython kernels.

What this adds to a plain setuptools build:

* **OpenMP probe.** A tiny ``omp parallel`` program is compiled, linked and *run*; only if that
  works are the kernels built with OpenMP. Otherwise the build warns and the kernels run serially
  (Cython guards its pragmas with ``#ifdef _OPENMP``). ``CONVKIT_NO_OPENMP=1`` skips the probe.
* **Per-ISA copies.** Every kernel source in ``convkit/_kernels/src`` (``.pyx`` or a Tempita
  ``.pyx.tp``, and the ``.pxd``/``.pxi`` files they cimport or include, plain or ``.tp``) is
  rendered once per instruction-set variant into ``convkit/_kernels/<isa>/`` and modules are
  compiled with that variant's flags; ``convkit._kernels`` picks the best one the CPU supports at
  import time. The default variants need no flag that a generic x86-64 lacks at *load* time; the
  wide instructions only run after the CPU check. ``CONVKIT_ISA_VARIANTS=base`` builds one copy
  (faster edit-build loop); ``CONVKIT_NATIVE=1`` builds one ``base`` copy with ``-march=native``.
* **Debug build.** ``CONVKIT_DEBUG_CYTHON=1`` turns bounds and wraparound checks back on.

Never ``-ffast-math``: gcc 12 would link ``crtfastmath.o`` and flip FTZ/DAZ for the whole
process, and it breaks NaN semantics.
"""

import glob
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import warnings

import numpy
from Cython.Build import cythonize
from Cython.Tempita import sub as tempita_sub
from setuptools import Extension, find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
KERNEL_DIR = os.path.join("convkit", "_kernels")
KERNEL_SRC = os.path.join(KERNEL_DIR, "src")

IS_X86_64 = platform.machine().lower() in ("x86_64", "amd64")

# -march level and extra flags per variant. Order = preference at run time (see _kernels/__init__).
ISA_FLAGS = {
    "avx512": ["-march=x86-64-v4", "-mtune=generic", "-mprefer-vector-width=512"],
    "avx2": ["-march=x86-64-v3", "-mtune=generic"],
    "base": [],
}


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _is_gcc_like():
    cc = sysconfig.get_config_var("CC") or ""
    return "cl.exe" not in cc and sys.platform != "win32"


def _isa_variants():
    if _env_flag("CONVKIT_NATIVE"):
        return {"base": ["-march=native", "-mprefer-vector-width=512"] if IS_X86_64 else ["-march=native"]}
    if not IS_X86_64 or not _is_gcc_like():
        return {"base": []}
    wanted = os.environ.get("CONVKIT_ISA_VARIANTS", "avx512,avx2,base")
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = set(names) - set(ISA_FLAGS)
    if unknown:
        raise SystemExit(f"CONVKIT_ISA_VARIANTS: unknown variants {sorted(unknown)}; "
                         f"choose from {sorted(ISA_FLAGS)}")
    if "base" not in names:
        names.append("base")  # the portable copy must always exist
    return {n: ISA_FLAGS[n] for n in names}


def _openmp_flags():
    """Return (compile_args, link_args) that give working OpenMP, or ([], []) with a warning."""
    if _env_flag("CONVKIT_NO_OPENMP"):
        warnings.warn("CONVKIT_NO_OPENMP is set: building serial kernels", stacklevel=1)
        return [], []
    if sys.platform == "win32":
        candidates = [(["/openmp"], [])]
    elif sys.platform == "darwin":
        candidates = [(["-Xpreprocessor", "-fopenmp"], ["-lomp"]), (["-fopenmp"], ["-fopenmp"])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
    program = textwrap.dedent("""
        #include <omp.h>
        #include <stdio.h>
        int main(void) {
            int n = 0;
            #pragma omp parallel reduction(+:n)
            n += 1;
            printf("%d", n);
            return n > 0 ? 0 : 1;
        }
    """)
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "cc").split()[0]
    extra_cflags = os.environ.get("CFLAGS", "").split() + os.environ.get("CPPFLAGS", "").split()
    extra_ldflags = os.environ.get("LDFLAGS", "").split()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(program)
        for cflags, ldflags in candidates:
            cmd = [cc, *extra_cflags, *cflags, src, "-o", exe, *extra_ldflags, *ldflags]
            try:
                subprocess.run(cmd, check=True, capture_output=True, timeout=120)
                out = subprocess.run([exe], check=True, capture_output=True, timeout=60)
            except (OSError, subprocess.SubprocessError):
                continue
            if out.stdout.strip():
                return cflags, ldflags
    warnings.warn(
        "OpenMP was not found (compile-and-run probe failed): convkit's kernels will be built "
        "serial. They stay correct, but use one core.", stacklevel=1)
    return [], []


# Kernel sources in convkit/_kernels/src, by suffix: (suffix, Tempita template?, a module?).
# Modules become extensions; .pxd (cimported declarations and inline helpers) and .pxi
# (included text) are copied beside them so relative cimports and includes resolve inside
# each per-ISA package. Longest suffixes first.
KERNEL_SOURCE_KINDS = (
    (".pyx.tp", True, True), (".pxd.tp", True, False), (".pxi.tp", True, False),
    (".pyx", False, True), (".pxd", False, False), (".pxi", False, False),
)


def _kernel_source_kind(fname):
    """(rendered file name, Tempita template?, a module?) for a kernel source, else None."""
    for suffix, template, module in KERNEL_SOURCE_KINDS:
        if fname.endswith(suffix):
            rendered = fname[: -len(".tp")] if template else fname
            return rendered, template, module
    return None


def _render_kernel_sources(variants):
    """Copy/render each kernel source into every per-ISA package. Returns module stems."""
    stems = []
    rendered_names = set()
    for fname in sorted(os.listdir(KERNEL_SRC)):
        kind = _kernel_source_kind(fname)
        if kind is None:
            continue
        rendered, template, module = kind
        with open(os.path.join(KERNEL_SRC, fname)) as f:
            text = tempita_sub(f.read()) if template else f.read()
        if module:
            stems.append(rendered[: -len(".pyx")])
        rendered_names.add(rendered)
        header = (f"# GENERATED by setup.py from convkit/_kernels/src/{fname}; edit that file.\n")
        for isa in variants:
            dest_dir = os.path.join(KERNEL_DIR, isa)
            os.makedirs(dest_dir, exist_ok=True)
            init = os.path.join(dest_dir, "__init__.py")
            if not os.path.exists(init):
                with open(init, "w") as f:
                    f.write(f'"""Kernels compiled for the {isa} instruction-set variant '
                            '(generated)."""\n')
            dest = os.path.join(dest_dir, rendered)
            new = header + text
            old = None
            if os.path.exists(dest):
                with open(dest) as f:
                    old = f.read()
            if old != new:  # keep mtimes stable so unchanged modules are not recompiled
                with open(dest, "w") as f:
                    f.write(new)
    for isa in variants:
        # a source removed from src/ must not live on as a stale copy a module could cimport
        dest_dir = os.path.join(KERNEL_DIR, isa)
        for fname in os.listdir(dest_dir):
            if _kernel_source_kind(fname) and fname not in rendered_names:
                os.remove(os.path.join(dest_dir, fname))
    # variants no longer built must not be importable with stale binaries
    for isa in ISA_FLAGS:
        if isa not in variants and os.path.isdir(os.path.join(KERNEL_DIR, isa)):
            shutil.rmtree(os.path.join(KERNEL_DIR, isa))
    return stems


def _extensions():
    variants = _isa_variants()
    omp_cflags, omp_ldflags = _openmp_flags()
    debug = _env_flag("CONVKIT_DEBUG_CYTHON")
    base_cflags = ["-O3"] if _is_gcc_like() else ["/O2"]
    # Python's own CFLAGS carry -g: release kernels drop the debug information (-g0, and -s
    # strips the symbol table at link; a sixth of the size). CONVKIT_KEEP_DEBUG_INFO=1 keeps
    # both, for a debugger or readable AddressSanitizer reports.
    keep_debug_info = debug or _env_flag("CONVKIT_KEEP_DEBUG_INFO")
    strip_cflags, strip_ldflags = ([], []) if keep_debug_info or not _is_gcc_like() \
        else (["-g0"], ["-s"])
    base_cflags = base_cflags + strip_cflags
    if debug:
        base_cflags = ["-O1", "-g"]
    macros = [("NPY_NO_DEPRECATED_API", "NPY_1_22_API_VERSION")]
    include_dirs = [numpy.get_include(), os.path.join(HERE, KERNEL_DIR)]
    stems = _render_kernel_sources(variants)
    # C headers the kernel sources include (from the ``src/`` folder, via KERNEL_DIR):
    # a change to one must rebuild every kernel module
    headers = sorted(glob.glob(os.path.join(HERE, KERNEL_SRC, "*.h")))

    exts = [
        # Built for the baseline only: it must load on any x86-64 to check CPU features
        # before a wide-ISA module is imported.
        Extension("convkit._kernels._cpu", [os.path.join(KERNEL_DIR, "_cpu.pyx")],
                  include_dirs=include_dirs, define_macros=macros,
                  extra_compile_args=base_cflags + omp_cflags,
                  extra_link_args=omp_ldflags + strip_ldflags),
    ]
    for isa, isa_flags in variants.items():
        for stem in stems:
            exts.append(Extension(
                f"convkit._kernels.{isa}.{stem}",
                [os.path.join(KERNEL_DIR, isa, stem + ".pyx")],
                include_dirs=include_dirs, define_macros=macros, depends=headers,
                extra_compile_args=base_cflags + isa_flags + omp_cflags,
                extra_link_args=omp_ldflags + strip_ldflags))
    directives = {
        "language_level": "3",
        "boundscheck": debug,
        "wraparound": debug,
        "initializedcheck": debug,
        "cdivision": not debug,
        "embedsignature": True,
    }
    # Directives are not part of cythonize's staleness check, and build_ext only compares the
    # .so with its .c: a switch between debug and optimised builds must regenerate every C
    # file, or the previous build's (bounds-checked or optimised) code silently survives.
    mode = "debug" if debug else "release" + ("" if keep_debug_info else "-stripped")
    marker = os.path.join(KERNEL_DIR, ".build-mode")
    previous = open(marker).read().strip() if os.path.exists(marker) else None
    force = debug or previous != mode
    if force:
        for isa in variants:
            for stem in stems:
                c_file = os.path.join(KERNEL_DIR, isa, stem + ".c")
                if os.path.exists(c_file):
                    os.remove(c_file)  # a missing .c also makes build_ext recompile the .so
    with open(marker, "w") as f:
        f.write(mode + "\n")
    return cythonize(exts, compiler_directives=directives, nthreads=os.cpu_count() or 1,
                     compile_time_env={"CONVKIT_DEBUG": debug}, quiet=True, force=force)


ext_modules = _extensions()  # first: it generates the per-ISA packages found below
packages = find_packages(include=["convkit", "convkit.*"])
packages += ["convkit.widgets"] + [
    "convkit.widgets." + p for p in find_packages(where="widgets")]
packages += ["convkit.notebooks"]  # the lesson notebooks as package data (notebooks/)

setup(packages=packages, ext_modules=ext_modules,
      options={"build_ext": {"parallel": os.cpu_count() or 1}})
