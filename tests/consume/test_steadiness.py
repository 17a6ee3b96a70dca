from harness.consume.steadiness import MIN_BATCH_CPU_S, cpu_without_jit_s, steady_per_event


def test_cpu_without_jit_leaves_the_compiler_threads_out() -> None:
    assert cpu_without_jit_s({"orderEvents-#-C": 3.0, "C# CompilerThre#": 1.0}) == 3.0
    assert cpu_without_jit_s({}) is None and cpu_without_jit_s(None) is None


def test_three_batches_within_ten_percent_are_steady_per_event() -> None:
    assert steady_per_event([5.0, 2.10, 2.00, 2.05], 2000)
    # Still falling: the last three span 2.4 to 2.0, 18% of their mean.
    assert not steady_per_event([5.0, 2.4, 2.2, 2.0], 2000)
    # Two batches are no run of three, however close.
    assert not steady_per_event([2.0, 2.0], 2000)


def test_a_batch_too_small_to_read_or_without_a_reading_is_never_steady() -> None:
    # Identical readings, but a batch of 0.5 CPU-s is 50 ticks: the 10% tolerance is not resolved.
    small = MIN_BATCH_CPU_S / 2
    assert not steady_per_event([small, small, small], 30)
    assert not steady_per_event([2.0, None, 2.0, 2.0][:3], 2000)
    assert not steady_per_event([2.0, 2.0, 2.0], 0)
