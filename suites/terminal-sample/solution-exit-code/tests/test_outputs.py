from pathlib import Path


def test_sorted():
    assert Path("/app/sorted.csv").read_text().splitlines() == ["a,1", "b,2", "c,3"]
