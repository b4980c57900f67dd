"""The known outlets and agencies of ``auditor/data/outlets.yaml``, compiled for look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path

from auditor.errors import RulesError
from auditor.text.domains import registered_domain
from auditor.text.outlets.vocabulary import data_file
from auditor.yamldoc import load_validated, where


@dataclass(frozen=True)
class Outlet:
    name: str
    domains: tuple[str, ...]
    names: tuple[str, ...] = ()
    context_names: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


@dataclass(eq=False)
class Directory:
    """The known outlets, with their written forms, codes and domains as look-ups."""

    outlets: tuple[Outlet, ...]
    by_domain: dict[str, int]
    anywhere: dict[str, int]  # written form (with derived forms) -> outlet
    in_context: dict[str, int]
    by_code: dict[str, int]  # case-folded agency code -> outlet
    first_words: frozenset[str]
    last_words: frozenset[str]


def outlets_file() -> Path:
    return data_file("outlets.yaml")


@lru_cache(maxsize=4)
def load_outlets(path: Path | None = None) -> Directory:
    """Read and check the outlets file (default: the bundled ``auditor/data/outlets.yaml``).

    A malformed file raises :class:`~auditor.errors.RulesError` with one line naming the
    file, the line and the entry: the schema ``outlets.schema.json`` checks the form, this
    function what a schema cannot (registered domains, forms owned by two outlets)."""
    file = Path(path) if path is not None else outlets_file()
    document = load_validated(file, "outlets")
    entries = document["outlets"]
    outlets = tuple(
        Outlet(name=entry["name"].strip(), domains=_texts(entry, "domains"), names=_texts(entry, "names"),
               context_names=_texts(entry, "context_names"), codes=_texts(entry, "codes"))
        for entry in entries
    )

    def entry_at(position: int, *path: str | int) -> str:
        # Named like the schema's messages (`outlets[1]`), with the outlet's name added.
        at = where(file, document, ["outlets", position, *path])
        return f"{at}: outlets[{position}] ({outlets[position].name!r})"

    for position, outlet in enumerate(outlets):
        for index, domain in enumerate(outlet.domains):
            if registered_domain(domain) != domain:
                raise RulesError(f"{entry_at(position, 'domains', index)}: {domain!r} is not a registered domain "
                                 "like 'example.at' (no www., no path)")
    owners: dict[tuple[str, str], int] = {}
    for position, outlet in enumerate(outlets):
        forms = [("domain", d) for d in outlet.domains] + [("code", c.casefold()) for c in outlet.codes]
        forms += [("name", form) for name in outlet.names + outlet.context_names for form in derived_forms(name)]
        for kind, form in dict.fromkeys(forms):
            first = owners.setdefault((kind, form), position)
            if first != position:
                raise RulesError(f"{entry_at(position)}: {kind} {form!r} also belongs to {outlets[first].name!r}; "
                                 f"a {kind} may belong to one outlet only")
    return _compile(outlets)


def _texts(entry, key: str) -> tuple[str, ...]:
    return tuple(str(value).strip() for value in entry.get(key, []))


def derived_forms(name: str) -> list[str]:
    """The written forms a name takes in German text: each word in -e may take -n
    (`Süddeutschen Zeitung`), the last word a genitive -s/-es (`des Handelsblatts`)."""
    words = name.split()
    options = []
    for position, word in enumerate(words):
        choices = [word]
        if word.endswith("e"):
            choices.append(word + "n")
        if position == len(words) - 1 and word[-1:].islower() and word[-1] not in "se":
            choices += [word + "s", word + "es"]
        options.append(choices)
    return [" ".join(parts) for parts in product(*options)]


def _compile(outlets: tuple[Outlet, ...]) -> Directory:
    anywhere = {form: i for i, o in enumerate(outlets) for name in o.names for form in derived_forms(name)}
    in_context = {form: i for i, o in enumerate(outlets) for name in o.context_names for form in derived_forms(name)}
    return Directory(
        outlets=outlets,
        by_domain={domain: index for index, outlet in enumerate(outlets) for domain in outlet.domains},
        anywhere=anywhere,
        in_context=in_context,
        by_code={code.casefold(): i for i, o in enumerate(outlets) for code in o.codes},
        first_words=frozenset(form.split()[0] for form in [*anywhere, *in_context]),
        last_words=frozenset(form.split()[-1] for form in [*anywhere, *in_context]),
    )
