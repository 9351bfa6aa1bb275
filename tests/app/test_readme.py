"""The README documents every setting and keeps exactly two set-up commands (docs checked by tests)."""

from __future__ import annotations

import re

from normlens.app.settings import ROOT, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def settings_table() -> str:
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "the user's data directory" if name == "data_dir" else f"`{default}`"
        rows.append(f"| `NORMLENS_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


def test_readme_lists_every_setting_with_its_default_and_description():
    block = re.search(r"<!-- settings-table[^>]*-->\n(.*?)\n<!-- /settings-table -->", README, re.S)
    assert block, "README lost its settings table markers"
    assert block.group(1) == settings_table(), "README settings table is stale: paste settings_table() output"


def test_every_setting_has_a_description():
    assert all(f.description for f in Settings.model_fields.values())


def test_readme_has_the_two_setup_commands():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.*?)\n```", setup, re.S) == ["make run", "make test"]


def test_the_python_example_runs_and_says_what_it_shows():
    """The notebook example of "Use it from Python" runs as written, and its comments are true."""
    code = re.search(r"## Use it from Python.*?```python\n(.*?)\n```", README, re.S)
    assert code, "README lost its Python example"
    env: dict = {}
    exec(compile(code.group(1).replace("print(", "str("), "README.md", "exec"), env)  # noqa: S102
    t = env["t"]
    assert t.stats["mean"].shape == (3,) and t.grads["input"].shape == (4, 3, 2, 2)
    assert "<table>" in t._repr_html_() and "nn.BatchNorm2d" in t.torch_code
