"""A PEP 517 build backend in the standard library alone, so that
`pip install --no-build-isolation .` works with no setuptools or wheel
installed and no network. It builds the one pure-Python wheel this package
is (and an sdist)."""

import base64
import hashlib
import io
import os
import tarfile
import zipfile

NAME, VERSION = "tether_sidecar", "0.1.0"
DIST = f"{NAME}-{VERSION}"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METADATA = f"""Metadata-Version: 2.1
Name: tether-sidecar
Version: {VERSION}
Summary: The sidecar's side of tether: ready, port, graceful stop, watchdog (stdlib only)
Requires-Python: >=3.9
License: MIT
"""

WHEEL = """Wheel-Version: 1.0
Generator: tether-sidecar-backend
Root-Is-Purelib: true
Tag: py3-none-any
"""


def _package_files():
    pkg = os.path.join(ROOT, NAME)
    for name in sorted(os.listdir(pkg)):
        if name.endswith(".py") or name == "py.typed":
            yield f"{NAME}/{name}", os.path.join(pkg, name)


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = f"{DIST}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as whl:
        def add(path, data):
            whl.writestr(path, data)
            records.append(_record_line(path, data))
        for arc, src in _package_files():
            with open(src, "rb") as f:
                add(arc, f.read())
        add(f"{DIST}.dist-info/METADATA", METADATA.encode())
        add(f"{DIST}.dist-info/WHEEL", WHEEL.encode())
        records.append(f"{DIST}.dist-info/RECORD,,")
        whl.writestr(f"{DIST}.dist-info/RECORD", "\n".join(records) + "\n")
    return filename


def build_sdist(sdist_directory, config_settings=None):
    filename = f"{DIST}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tar:
        for rel in ["pyproject.toml", "README.md", "_build/backend.py"] + [a for a, _ in _package_files()]:
            tar.add(os.path.join(ROOT, rel), arcname=f"{DIST}/{rel}")
        info = tarfile.TarInfo(f"{DIST}/PKG-INFO")
        data = METADATA.encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return filename
