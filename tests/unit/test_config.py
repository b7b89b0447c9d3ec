"""MatchConfig: validated once, immutable, JSON in and out, errors as ConfigError."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from leadmatch import AccountIndex, ConfigError, LeadmatchError, MatchConfig, Weights
from leadmatch.cli import main

#: The fitted weights file the package ships (read as data, apart from the code's defaults).
SHIPPED_WEIGHTS = resources.files("leadmatch").joinpath("data").joinpath("weights.json")


def test_json_round_trip(tmp_path: Path) -> None:
    config = MatchConfig(match_threshold=0.95, weights=Weights(prior=-5.0))
    path = tmp_path / "config.json"
    config.to_json(path)
    assert MatchConfig.from_json(path) == config
    assert MatchConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(
    "bad",
    [
        {"match_threshold": 1.5},
        {"review_threshold": 0.95},  # above the default match threshold
        {"unknown_option": 1},
        {"weights": {"domain": {"exact": 1.0}}},  # levels missing
        {"weights": {"prior": float("nan")}},  # a NaN total would poison every comparison
        {"weights": {"phone": {"agree": float("inf"), "unknown": 0.0}}},
    ],
)
def test_invalid_configs_raise_config_error(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as caught:
        MatchConfig(**bad)  # type: ignore[arg-type]
    assert isinstance(caught.value, LeadmatchError)


def test_a_shared_config_cannot_be_changed_in_place() -> None:
    config = MatchConfig()
    with pytest.raises(TypeError):
        config.weights.domain["exact"] = 0.0  # type: ignore[index]
    with pytest.raises(ValueError, match="frozen"):
        config.match_threshold = 0.5  # type: ignore[misc]


def test_weights_change_the_confidence() -> None:
    accounts = [{"account_id": "A1", "name": "Nordic Timber AB"}]
    lead = {"company": "Nordic Timber", "email": "x@gmail.com"}
    # Without a calibration (flat at the top) or a gap term the confidence is the
    # Fellegi-Sunter probability of the score, so any change of weight shows.
    plain = MatchConfig(weights=Weights(calibration=(), gap=0.0))
    doubtful = MatchConfig(weights=Weights(prior=-9.0, calibration=(), gap=0.0))
    default = AccountIndex.build(accounts, plain).match(lead)
    assert AccountIndex.build(accounts, doubtful).match(lead).confidence < default.confidence


def test_cli_reports_a_bad_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.csv").write_text("account_id,name\nA1,Acme\n", encoding="utf-8")
    (tmp_path / "l.csv").write_text("lead_id,company\nL1,Acme\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('{"match_threshold": 7}', encoding="utf-8")
    files = {name: str(tmp_path / name) for name in ("a.csv", "l.csv", "o.csv", "c.json")}
    code = main(["match", "--accounts", files["a.csv"], "--leads", files["l.csv"],
                 "--out", files["o.csv"], "--config", files["c.json"]])  # fmt: skip
    assert code == 2
    assert "match_threshold" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


def test_fitted_weights_from_before_the_candidates_comparison_are_refused() -> None:
    fitted = Weights().model_dump(mode="json")
    del fitted["candidates"]
    with pytest.raises(ConfigError, match="before that comparison existed"):
        MatchConfig.from_json(json.dumps({"weights": fitted}))
    # Hand-made weights without a calibration take the shipped table, as every other one:
    # the one in the weights file the package ships.
    partial = MatchConfig.from_json('{"weights": {"gap": 0}}')
    shipped = json.loads(SHIPPED_WEIGHTS.read_text(encoding="utf-8"))
    assert dict(partial.weights.candidates) == shipped["candidates"]
    assert set(shipped["candidates"]) == {"one", "two", "few", "some", "many"}
    assert partial.weights.gap == 0.0
