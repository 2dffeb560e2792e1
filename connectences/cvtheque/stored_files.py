"""The stores of files and the rows naming their files, kept in step.

- ``sweep_store``: one store swept against the rows that point into it, for every
  store of the platform (``sweep`` for the CVs, ``content.photos.sweep`` for the
  testimonial photos). A file no row names (an upload whose transaction died with its process,
  a row deleted by hand, an erasure stopped half way) is personal data kept for no
  purpose: the nightly ``data_retention`` job removes it, once it is older than
  ``CV_ORPHAN_MIN_AGE_HOURS`` (an upload in progress has its file before its row). A
  row naming a file the store lacks is counted and logged (its download says so in
  French).
- ``recheck``: the CVs stored before a check of the upload existed (scripts and
  launched programs, then attachments) are read again by the same check
  (``files.active_content``); a file that fails it, or that pypdf can no longer read
  (so that nothing says it is safe), is withheld from download, its record and its
  skills kept (``flask --app connectences cv recheck``).

Everything goes through the storage interface (``files.storage``), whatever holds the
files.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectences.accounts.audit import audit
from connectences.cvtheque import files
from connectences.cvtheque.history import record_event
from connectences.models import Candidate

log = logging.getLogger("connectences.cvtheque")

WITHHELD_EVENT = (
    "CV (PDF) retenu : il contient un contenu actif (script, programme lancé à "
    "l'ouverture ou pièce jointe) ; il n'est plus téléchargeable. La personne peut "
    "déposer de nouveau son CV."
)
UNREADABLE_EVENT = (
    "CV (PDF) retenu : fichier illisible ; il ne peut plus être vérifié (script, "
    "programme lancé à l'ouverture ou pièce jointe) et n'est plus téléchargeable. La "
    "personne peut déposer de nouveau son CV."
)


def _named_files(session: Session) -> dict[str, int]:
    """Every stored name a record holds, with the record's id."""
    return dict(
        session.execute(
            select(Candidate.cv_filename, Candidate.id).where(Candidate.cv_filename.is_not(None))
        ).all()
    )


def sweep_store(
    store: files.CvStorage,
    named_files: Callable[[], dict[str, int]],
    now: datetime,
    *,
    min_age: timedelta,
    dry_run: bool = False,
    kind: str,
) -> dict[str, int]:
    """Sweep one store against the rows that point into it: remove the stored files no
    row names (``named_files()``: each stored name a row holds, with the row's id),
    written more than ``min_age`` before ``now`` (only count them in a ``dry_run``);
    count the rows naming a file the store lacks. Every store of the platform (CVs,
    testimonial photos) is swept by this one rule, through its storage interface.

    Counts, named by ``kind``: ``<kind>_orphans_deleted``, ``<kind>_orphans_too_recent``
    (kept until older), ``<kind>_files_missing``."""
    # The store is listed before the rows are read: a file written meanwhile is too
    # recent to go, and a row written meanwhile can only name such a file.
    stored = list(store.names())
    named = named_files()
    deleted, too_recent = f"{kind}_orphans_deleted", f"{kind}_orphans_too_recent"
    counts = Counter({deleted: 0, too_recent: 0})
    for name, written in stored:
        if name in named:
            continue
        if now - written < min_age:
            counts[too_recent] += 1
            continue
        if not dry_run:
            store.delete(name)
        counts[deleted] += 1
    present = {name for name, _written in stored}
    missing = sorted(row_id for name, row_id in named.items() if name not in present)
    counts[f"{kind}_files_missing"] = len(missing)
    if missing:
        # Ids only: the log names nobody.
        log.warning("%s files missing from the store for rows %s", kind, missing)
    return dict(counts)


def sweep(
    session: Session, now: datetime, *, min_age: timedelta, dry_run: bool = False
) -> dict[str, int]:
    """The CV store swept against the candidates' records (``sweep_store``): counts
    ``cv_orphans_deleted``, ``cv_orphans_too_recent``, ``cv_files_missing``. Run it
    before anything of the same transaction deletes a record: the names read are then
    the committed ones, and a file whose record this transaction deletes is that
    deletion's to remove (after its commit)."""
    return sweep_store(
        files.storage(),
        lambda: _named_files(session),
        now,
        min_age=min_age,
        dry_run=dry_run,
        kind="cv",
    )


def recheck(session: Session, *, dry_run: bool = False) -> dict[str, int]:
    """Read every stored CV again with the upload's check of active content; withhold
    each one that fails or cannot be read (only count them in a ``dry_run``).

    A withheld file is copied under a withheld name (``files.withheld_name``) that no
    download serves, its record pointing at the copy; the person, their skills and the
    search are untouched. Each is committed at once with its audit entry and a line of
    the person's history, so that a run stopped half way keeps what it did and the
    database is never held for the whole run. Idempotent: a withheld file is not read
    again. Counts: ``checked``, ``withheld`` (active content), ``unreadable`` (pypdf
    cannot read it any more, so nothing says it is safe: withheld under a name saying
    so, ``files.UNREADABLE_FILE``, audited with ``found: "unreadable"``),
    ``already_withheld``, ``missing`` (the store lacks it), ``changed_meanwhile`` (the
    person replaced their CV during the run: the new one went through the check)."""
    counts = Counter(
        checked=0, withheld=0, already_withheld=0, unreadable=0, missing=0, changed_meanwhile=0
    )
    store = files.storage()
    rows = session.execute(
        select(Candidate.id, Candidate.cv_filename)
        .where(Candidate.cv_filename.is_not(None))
        .order_by(Candidate.id)
    ).all()
    session.rollback()  # nothing read is held while the files are read
    for cid, name in rows:
        if files.is_withheld(name):
            counts["already_withheld"] += 1
            continue
        try:
            data = store.read(name)
        except FileNotFoundError:
            counts["missing"] += 1
            continue
        counts["checked"] += 1
        try:
            found = files.active_content(data)
        except files.CvFileError:
            # What cannot be read cannot be checked: withheld as well, saying so.
            log.warning("stored CV of candidate %s unreadable by the check", cid)
            found = files.UNREADABLE_FILE
        if found is None:
            continue
        key = "unreadable" if found == files.UNREADABLE_FILE else "withheld"
        if dry_run:
            counts[key] += 1
            continue
        done = _withhold(session, cid, name, data, found)
        counts[key if done else "changed_meanwhile"] += 1
    return dict(counts)


def _withhold(session: Session, cid: int, name: str, data: bytes, found: str) -> bool:
    """Put the file ``name`` of candidate ``cid`` under a withheld name, committed; False
    (nothing changed) when their record names another file by now."""
    store = files.storage()
    unreadable = found == files.UNREADABLE_FILE
    new = files.withheld_name(files.UNREADABLE_FILE if unreadable else files.ACTIVE)
    store.write_new(new, data)
    files.follow_transaction(session, store, new)
    moved = session.execute(
        update(Candidate)
        .where(Candidate.id == cid, Candidate.cv_filename == name)
        # Not a change of what the person told: ``updated_at`` stays (no "new candidate"
        # for the rematch job, no edit form refused as changed meanwhile).
        .values(cv_filename=new, updated_at=Candidate.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        session.rollback()  # removes the copy
        return False
    files.delete_after_commit(session, store, name)
    audit(session, "cv_withheld", entity="candidate", entity_id=cid, details={"found": found})
    event = UNREADABLE_EVENT if unreadable else WITHHELD_EVENT
    record_event(session, cid, "cv", event, actor_label="vérification des CV")
    session.commit()
    return True
