"""The package installs from its folder with no network and no build
dependencies (pip install --no-build-isolation), and works installed."""

import os
import subprocess
import sys
import tempfile
import unittest

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Install(unittest.TestCase):
    def test_pip_install_offline(self):
        with tempfile.TemporaryDirectory() as d:
            venv = os.path.join(d, "venv")
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            python = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
            subprocess.run([python, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", PACKAGE_DIR],
                           check=True, cwd=d)
            out = subprocess.run([python, "-c", "import tether_sidecar, tether_sidecar.aio; "
                                  "print(tether_sidecar.__file__); tether_sidecar.ready(); print(tether_sidecar.port())"],
                                 check=True, cwd=d, capture_output=True, text=True,
                                 env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}).stdout.split("\n")
            self.assertIn("site-packages", out[0])
            self.assertEqual(out[1], "None")


if __name__ == "__main__":
    unittest.main()
