"""A stand-in for tether: starts a sidecar with TETHER_PID set to this
process (through a shell when SIDECAR_TEST_INDIRECT is set), then exits."""

import os
import subprocess
import sys
import time

env = dict(os.environ, TETHER_PID=str(os.getpid()))
args = sys.argv[1:]
if os.environ.get("SIDECAR_TEST_INDIRECT"):
    args = ["sh", "-c", '"$@"; :', "sh"] + args
subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL)
time.sleep(1)
