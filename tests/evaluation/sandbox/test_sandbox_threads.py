"""A slot's next run survives the end of the thread whose run came before it.

Found by the Codabench work: a parked launcher forked by a worker thread took that
thread as its parent, and bubblewrap's --die-with-parent killed a later run on the same
slot, started by another thread, once the first thread ended."""

from __future__ import annotations

import threading
import time

from aihub.evaluation.sandbox import BubblewrapSandbox, Outcome, Runtime


def test_a_run_outlives_the_thread_of_the_slots_previous_run(
    sandbox: BubblewrapSandbox, bare: Runtime
) -> None:
    with sandbox.open(bare) as holder:  # keeps the other slot busy: both runs share one
        finished = threading.Event()

        def earlier() -> None:
            with sandbox.open(bare) as box:
                assert box.slot != holder.slot
                assert box.run(["python3", "-c", "pass"]).outcome is Outcome.OK
            finished.set()
            time.sleep(0.5)  # alive while the next run starts, gone while it runs

        thread = threading.Thread(target=earlier)
        thread.start()
        finished.wait()
        with sandbox.open(bare) as box:
            handle = box.start(["python3", "-c", "import time; time.sleep(1.5); print('slept')"])
            thread.join()
            result = handle.wait()
    assert result.outcome is Outcome.OK, result.reason
    assert result.stdout == "slept\n"
