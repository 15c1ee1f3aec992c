import pwd
from pathlib import Path

TODO = Path("/home/agent/project/notes/todo.txt")


def test_lines():
    assert TODO.read_text().splitlines() == ["buy milk", "call bob"]


def test_made_by_the_agent_user():
    # The agent works as the image's USER, so what it makes belongs to that user.
    assert pwd.getpwuid(TODO.stat().st_uid).pw_name == "agent"
