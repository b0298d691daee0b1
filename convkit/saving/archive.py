"""The ``.keras`` zip: ``metadata.json``, ``config.json``, ``model.weights.h5``, as Keras 3.15
writes them (stored, not compressed; JSON members first).

Reading checks the container before anything else: a missing file is FileNotFoundError; a
non-zip, a truncated zip, a member that fails its CRC or a missing member is a ValueError
saying which.
"""

import datetime
import io
import json
import zipfile

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
# the Keras release whose file format this writer follows (Keras reads it as its own)
KERAS_FORMAT_VERSION = "3.15.0"


def metadata_json() -> str:
    import convkit  # at call time: the package sets __version__ after importing its floors

    return json.dumps({"keras_version": KERAS_FORMAT_VERSION,
                       "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                       "convkit_version": convkit.__version__})


def write(path: str, config_json: str, weights: bytes) -> None:
    """Write the three members into a new zip at ``path``."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo(METADATA), metadata_json())
        zf.writestr(zipfile.ZipInfo(CONFIG), config_json)
        zf.writestr(WEIGHTS, weights)


def read(path: str, members=(CONFIG, WEIGHTS)) -> dict:
    """``{member: bytes}`` for ``members`` of the ``.keras`` file at ``path``, all checked."""
    try:
        zf = zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as error:
        raise ValueError(f"{path} is not a .keras file: it is not a zip archive, or it is "
                         f"truncated or corrupted ({error}).") from error
    with zf:
        names = set(zf.namelist())
        missing = [m for m in members if m not in names]
        if missing:
            raise ValueError(f"{path} is not a complete .keras file: it has no {missing} "
                             f"(it holds {sorted(names)}).")
        out = {}
        for member in members:
            try:
                out[member] = zf.read(member)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
                # zlib errors and bad CRCs of a damaged member land here
                raise ValueError(f"{path} is corrupted: its member {member} cannot be read "
                                 f"({error}).") from error
        return out


def h5_bytes(write_h5, h5py) -> bytes:
    """The bytes of an HDF5 file that ``write_h5(h5file)`` fills, made in memory."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        write_h5(h5file)
    return buffer.getvalue()
