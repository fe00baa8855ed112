"""Interrupts an llmc command once it has started writing its work files.

usage: interrupt-compile.py SIGNAL[:ignored] WAIT_GLOB LIST_DIR -- COMMAND...

Starts COMMAND, waits until a file matches WAIT_GLOB, sends SIGNAL (INT,
TERM or HUP), then prints how the process ended and the names left in
LIST_DIR, for FileCheck. The command starts with SIGNAL's default action,
or with ":ignored" with SIGNAL ignored, as under nohup.
"""

import glob
import os
import signal
import subprocess
import sys
import time


def main():
    name, _, mode = sys.argv[1].partition(":")
    sig = getattr(signal, "SIG" + name)
    wait_glob, list_dir = sys.argv[2], sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1:]
    # lit's workers ignore SIGINT, and children inherit that: set the
    # disposition explicitly either way.
    def preexec():
        signal.signal(sig, signal.SIG_IGN if mode == "ignored"
                      else signal.SIG_DFL)
    process = subprocess.Popen(command, preexec_fn=preexec)
    deadline = time.monotonic() + 120
    while not glob.glob(wait_glob):
        if process.poll() is not None:
            sys.exit("the command ended (status %d) before %s matched"
                     % (process.returncode, wait_glob))
        if time.monotonic() > deadline:
            process.kill()
            sys.exit("nothing matched %s after 120 s" % wait_glob)
        time.sleep(0.001)
    process.send_signal(sig)
    status = process.wait()
    print("status:", "signal %s" % signal.Signals(-status).name
          if status < 0 else "exit %d" % status)
    left = sorted(os.listdir(list_dir))
    print("left:", " ".join(left) if left else "nothing")


if __name__ == "__main__":
    main()
