"""The demo of the territory, built as an interchange v1.1 document and imported like any other.

`build_demo_document` is a pure function of its seed and reference date: the same
arguments always give the same document, so tests can validate it and the demo
can be re-imported without duplicating anything (the import upserts by `ref`).
Contacts, visits and accounts are not part of the interchange format; `seed_demo` adds
them after the import, keyed so that a second run finds them instead of adding more.

The hand-written tables (organisations, companies, need templates, candidate profiles,
names, visit notes, accounts...) are files in `data/` (see its README); the modules
draw from them, one per part of the demo:

- `organisations`: operators and partners;
- `companies`: companies, their SIRETs, their address and the person to call;
- `needs`: needs drawn from templates, then moved along their workflow;
- `candidates`: people drawn from profiles, and the work some already hold;
- `visits`: the animateur's prospection visits;
- `events`: events to come and one held, with their registrants and attendance;
- `accounts`: one account per role;
- `document`: the interchange document; `seed`: `seed_demo`; `cli`: the command.

Every person, company and SIRET here is invented. Phone numbers use the range
ARCEP reserves for fiction (06 39 98 xx xx); emails use `exemple.fr` or `.example`.
"""

from connectences.demo.accounts import DemoAccount, demo_accounts
from connectences.demo.common import DEMO_SEED
from connectences.demo.companies import build_demo_contacts
from connectences.demo.document import build_demo_document
from connectences.demo.seed import DemoSummary, seed_demo
from connectences.demo.visits import build_demo_visits

__all__ = [
    "DEMO_SEED",
    "DemoAccount",
    "DemoSummary",
    "build_demo_contacts",
    "build_demo_document",
    "build_demo_visits",
    "demo_accounts",
    "seed_demo",
]
