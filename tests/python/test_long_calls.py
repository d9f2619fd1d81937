"""Ctrl-C in the main thread during a long call that needs no libtorch (generate): the call raises
KeyboardInterrupt within a progress report and leaves no output file (the generator writes under
a temporary name and renames when complete). The training case, with Python running in another
thread meanwhile: test_pipeline.py."""

import os
import subprocess
import sys
import textwrap

INTERRUPTED_GENERATION = textwrap.dedent("""
    import os, signal, sys, threading
    import trigml
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    try:
        trigml.generate(sys.argv[1], "ttbar", 10_000_000, 1, threads=1, progress=False)
        print("finished")
    except KeyboardInterrupt as e:
        print("interrupted:", e)
""")


def test_ctrl_c_stops_generate_and_leaves_no_file(tmp_path):
    out = tmp_path / "never.root"
    run = subprocess.run([sys.executable, "-c", INTERRUPTED_GENERATION, str(out)], capture_output=True, text=True,
                         timeout=120, env=os.environ)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "interrupted: generate ttbar: interrupted", run.stdout + run.stderr
    assert os.listdir(tmp_path) == [], "an interrupted generation must leave nothing behind"
