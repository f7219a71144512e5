"""ID numbers and phones: the fast check digit agrees with the plain GB 11643-1999 formula."""

import random

import pytest
from django.core.exceptions import ValidationError

from jiceng.lib.validators import id_check_digit, normalize_id_number, normalize_phone


def test_the_fast_check_digit_equals_the_weighted_sum_on_random_numbers() -> None:
    rng = random.Random(11643)
    for _ in range(20_000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        valid = first17 + id_check_digit(first17)
        if not (1 <= int(first17[10:12]) <= 12 and 1 <= int(first17[12:14]) <= 28 and int(first17[6:10]) >= 1):
            continue
        assert normalize_id_number(valid) == valid
        wrong = first17 + next(d for d in "0123456789X" if d != valid[17])
        with pytest.raises(ValidationError, match="校验位不正确"):
            normalize_id_number(wrong)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 11010519491231002x ", "11010519491231002X"),  # the standard's own example, lower-case x and spaces
        ("440703199001011212", "440703199001011212"),
    ],
)
def test_it_normalizes_good_id_numbers(value: str, expected: str) -> None:
    assert normalize_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12345", "身份证号应为18位"),
        ("4407031990010112X2", "身份证号应为18位"),
        ("440703199001011213", "校验位不正确"),
        ("440703199002301211", "出生日期无效"),
    ],
)
def test_it_refuses_bad_id_numbers_in_chinese(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        normalize_id_number(value)


def test_phones() -> None:
    assert normalize_phone(" +86 139-0013-9000 ") == "13900139000"
    with pytest.raises(ValidationError, match="手机号应为11位"):
        normalize_phone("1290013900")
