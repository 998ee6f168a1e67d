"""PEP 517 backend of the goldpath-pre-commit package: a wheel with metadata only, whose one
requirement is the goldpath wheel of the same version (the binary)."""

import base64
import hashlib
import os
import zipfile

NAME = "goldpath_pre_commit"
# The goldpath release these hooks install; tests/hooks.rs checks it is the workspace version.
VERSION = "0.1.0"

_FILES = {
    "METADATA": (
        "Metadata-Version: 2.1\n"
        "Name: goldpath-pre-commit\n"
        f"Version: {VERSION}\n"
        "Summary: pre-commit hooks for goldpath, installing the prebuilt goldpath wheel\n"
        "License: MIT OR Apache-2.0\n"
        f"Requires-Dist: goldpath=={VERSION}\n"
    ),
    "WHEEL": (
        "Wheel-Version: 1.0\n"
        "Generator: goldpath-pre-commit\n"
        "Root-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    ),
}


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = f"{NAME}-{VERSION}.dist-info"
    wheel_name = f"{NAME}-{VERSION}-py3-none-any.whl"
    record = ""
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w") as wheel:
        for name, text in _FILES.items():
            data = text.encode()
            wheel.writestr(f"{dist_info}/{name}", data)
            record += _record_line(f"{dist_info}/{name}", data)
        record += f"{dist_info}/RECORD,,\n"
        wheel.writestr(f"{dist_info}/RECORD", record)
    return wheel_name
