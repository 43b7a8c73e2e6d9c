"""Registries that business lines fill refuse a second, different entry under a taken name."""

import pytest

from minzheng.engines.benefits import bankfiles, holds
from minzheng.engines.cases import hooks
from minzheng.engines.monitoring import detectors
from minzheng.engines.verification import findings
from minzheng.foundation.notify import backends
from minzheng.foundation.plugins import DuplicateRegistration, Registry


def test_registry_refuses_a_different_entry_under_a_taken_name_and_names_both():
    reg = Registry("测试项")
    reg["a"] = len
    reg["a"] = len  # the same entry again: harmless
    with pytest.raises(DuplicateRegistration) as err:
        reg["a"] = abs
    assert "测试项「a」" in str(err.value) and "builtins.len" in str(err.value) and "builtins.abs" in str(err.value)
    assert reg["a"] is len
    with pytest.raises(DuplicateRegistration):
        reg.update({"a": abs})
    with pytest.raises(DuplicateRegistration):
        Registry("测试项", [("b", len), ("b", abs)])


def test_temporarily_restores_the_registry():
    reg = Registry("测试项", [("a", len)])
    with reg.temporarily("a", abs):
        assert reg["a"] is abs
    with reg.temporarily("new", abs):
        assert "new" in reg
    assert reg == {"a": len}


def test_a_business_line_cannot_silently_replace_an_engine_registration():
    taken = next(iter(hooks.GUARDS))

    with pytest.raises(DuplicateRegistration):

        @hooks.case_guard(taken)
        def other(ctx):  # pragma: no cover - never registered
            return None

    with pytest.raises(DuplicateRegistration):
        detectors.detector(next(iter(detectors.DETECTORS)), sql="SELECT 1")

    with pytest.raises(DuplicateRegistration):

        @findings.finding(next(iter(findings.FINDINGS)))
        def sql():  # pragma: no cover
            return "SELECT 1"

    with pytest.raises(DuplicateRegistration):

        @holds.hold_check(next(iter(holds.HOLD_CHECKS)), "重复")
        def check(cycle):  # pragma: no cover
            return []

    with pytest.raises(DuplicateRegistration):

        @backends.backend("local")
        class Other(backends.Backend):
            pass

    fmt = next(iter(bankfiles.FORMATS.values()))
    with pytest.raises(DuplicateRegistration):
        bankfiles.register(type("Again", (type(fmt),), {}))


def test_a_standard_type_cannot_be_declared_twice_differently():
    import dataclasses

    from minzheng.foundation.parameters import standards

    existing = standards.TYPES["dibao_monthly"]
    again = {f.name: getattr(existing, f.name) for f in dataclasses.fields(existing)}
    assert standards.standard_type(**again) is existing  # the same declaration again: harmless
    with pytest.raises(DuplicateRegistration, match="标准类型「dibao_monthly」"):
        standards.standard_type(**{**again, "label": "低保标准（另一条线）"})
    assert standards.TYPES["dibao_monthly"] is existing
