"""The app's CPU by thread, from the kernel's per-thread counters of a real process."""

from __future__ import annotations

import hashlib
import os
import threading

from harness.consume.threads import compiler_share, cpu_by_group, thread_cpu, thread_group


def test_thread_names_fold_their_digits_into_one_group() -> None:
    assert thread_group("C2 CompilerThre0") == thread_group("C2 CompilerThre12") == "C# CompilerThre#"
    assert thread_group("reactor-tcp-nio-3") == "reactor-tcp-nio-#"


def test_the_threads_account_for_the_cpu_the_process_spent() -> None:
    process_before = os.times()
    before = thread_cpu(os.getpid())
    assert before, "this process has threads"

    burned, read = threading.Event(), threading.Event()

    def burn() -> None:
        digest = b""
        for _ in range(400_000):
            digest = hashlib.sha256(digest).digest()
        burned.set()
        read.wait(60)  # stay alive until read: a thread that ended takes its counters with it

    worker = threading.Thread(target=burn, name="burner")
    worker.start()
    # Read once the burning is done and while the thread is still alive. Polling while it ran could take its
    # only reading before the burner got any CPU, when one reading of many threads outlasted the whole burn
    # (seen in a fresh-clone CI run: spent == {'pytest': 0.0}).
    assert burned.wait(60), "the burner finished its work"
    spent = cpu_by_group(before, thread_cpu(os.getpid()))
    process = os.times()
    after = thread_cpu(os.getpid())
    read.set()
    worker.join()
    assert spent, "the burner was read at least once while it ran"
    assert all(seconds >= 0 for seconds in spent.values())
    # The burner's CPU shows up, and the threads never add up to more than the whole process spent. Each
    # thread's counter and the process's are whole clock ticks, each reading rounded on its own: one tick
    # of slack per thread and reading (a test process may hold dozens of threads: clients of earlier tests).
    process_spent = process.user + process.system - process_before.user - process_before.system
    ticks = 1 / os.sysconf("SC_CLK_TCK")
    assert 0 < sum(spent.values()) <= process_spent + (len(before) + len(after) + 2) * ticks
    assert thread_cpu(2**22 + 12345) == {}  # no such process


def test_the_compiler_share_counts_the_jit_threads_only() -> None:
    spent = {"C# CompilerThre#": 1.0, "orderEvents-#-C": 3.0}
    assert compiler_share(spent) == 0.25
    assert compiler_share({"orderEvents-#-C": 3.0}) == 0.0
    assert compiler_share(None) == compiler_share({}) == 0.0
