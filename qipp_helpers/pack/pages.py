"""The pack's own pages from Jinja2 templates (``templates/pack/``): the front page and the pack PDF's front and
back matter, beside the reports' nbconvert template.

Autoescape is on for every template: text from returns reaches a page as plain text. The templates get data
(the :class:`~.front.FrontPage`, its reports, figures) and lay it out; CSS strings go through ``css_string``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates" / "pack"
FRAGMENTS = "fragments.html.j2"


def _synthetic(text: object) -> bool:
    """A Jinja test: whether ``text`` says synthetic."""
    return "synthetic" in str(text)


@functools.cache
def environment() -> Any:
    """One Jinja2 environment per process, autoescaping, with the pack's filters."""
    import jinja2
    from markupsafe import Markup

    from ..core.money import fmt_k
    from ..core.periods import long_date
    from .render import _css_string

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(money=fmt_k, long_date=long_date, css_string=lambda s: Markup(_css_string(str(s))))
    env.globals.update(zip=zip)
    env.tests.update(synthetic=_synthetic)
    return env


def render(template: str, **context: Any) -> str:
    """``template`` rendered with ``context``."""
    return environment().get_template(template).render(**context)


def fragment(name: str, *args: Any, template: str = FRAGMENTS, **kwargs: Any) -> str:
    """The macro ``name`` of ``template`` (the shared fragments: summary, notes, glossary ...) called with these
    arguments."""
    return str(getattr(environment().get_template(template).module, name)(*args, **kwargs))
