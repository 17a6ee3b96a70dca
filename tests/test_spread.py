from harness.spread import agree


def test_values_agree_when_their_spread_over_their_mean_is_within_the_tolerance() -> None:
    assert agree([100.0, 105.0, 102.0], 0.05)  # 5 / 102.3 = 4.9%
    assert not agree([100.0, 110.0, 102.0], 0.05)  # 9.8%


def test_no_values_or_a_mean_of_zero_never_agree() -> None:
    assert not agree([], 0.5)
    assert not agree([0.0, 0.0, 0.0], 0.5)
