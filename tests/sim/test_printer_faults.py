from __future__ import annotations

import pytest

from printstation.errors import ConfigError
from printstation.sim.printer.faults import FaultPlan, FaultRule, parse_rule


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("card 3: chip corrupt", FaultRule(card=3, fault="corrupt", chip=True)),
        ("card 7, step Db;c: jam", FaultRule(card=7, fault="jam", step="Db;c")),
        ("card 2: misfeed", FaultRule(card=2, fault="misfeed")),
        ("card 5: cover_open", FaultRule(card=5, fault="cover_open")),
        ("card 4, step Se: ribbon_end", FaultRule(card=4, fault="ribbon_end", step="Se")),
        (
            "  card 9 ,  step Sis :  chip slow ",
            FaultRule(card=9, fault="slow", chip=True, step="Sis"),
        ),
    ],
)
def test_rules_parse(text: str, rule: FaultRule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("card three: jam", "cannot read fault rule"),
        ("card 3: melt", "unknown printer fault 'melt'"),
        ("card 3: chip jam", "unknown chip fault 'jam'"),
        ("card 0: jam", "start at 1"),
    ],
)
def test_bad_rules_are_explained(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_rule(text)


def test_printer_faults_fire_once_at_their_step() -> None:
    plan = FaultPlan.parse(["card 7, step Db;c: jam", "card 2: misfeed", "card 4: ribbon_end"])
    assert plan.printer_fault(7, "Db;m") is None
    assert plan.printer_fault(6, "Db;c") is None
    assert plan.printer_fault(7, "Db;c") == "jam"
    assert plan.printer_fault(7, "Db;c") is None
    assert plan.printer_fault(2, "Sis") is None
    assert plan.printer_fault(2, "feed") == "misfeed"  # no step: when the blank is fed
    assert plan.printer_fault(4, "feed") is None
    assert plan.printer_fault(4, "Se") == "ribbon_end"  # ribbon faults show at printing


def test_chip_faults_are_found_by_card_and_by_serial() -> None:
    plan = FaultPlan.parse(["card 3: chip corrupt", "card 3: jam"])
    assert plan.chip_fault(3) == "corrupt"
    assert plan.chip_fault(3) == "corrupt"  # not consumed: the chip may be read again
    assert plan.chip_fault(2) is None
    plan.card_fed(3, "CHIP0003")
    assert plan.chip_fault_for("CHIP0003") == "corrupt"
    assert plan.chip_fault_for("CHIP0004") is None


def test_fault_names_are_the_printers_then_the_chips() -> None:
    from printstation.sim.printer.faults import fault_names

    assert fault_names() == [
        "cover_open",
        "disconnect",
        "double_feed",
        "jam",
        "misfeed",
        "ribbon_end",
        "chip corrupt",
        "chip slow",
        "chip torn",
        "chip write_error",
    ]


@pytest.mark.parametrize("text", ["card 3: melt", "card 3: chip jam", "card three: jam"])
def test_a_bad_rule_lists_every_fault_name(text: str) -> None:
    from printstation.sim.printer.faults import fault_names

    with pytest.raises(ConfigError) as caught:
        parse_rule(text)
    assert f"the faults are {', '.join(fault_names())}" in caught.value.message


def test_the_plugin_names_its_faults_to_the_station() -> None:
    from printstation.operations.printers import fault_names
    from printstation.sim.printer.faults import fault_names as sim_names

    assert fault_names() == sim_names()
