"""Demo content for companies (#15): a few resources, the "Qui fait quoi" entries of the
demo's organisations, and two testimonials with their owners' agreement. Written once:
a run that finds resources already there adds nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectences.content import directory
from connectences.models import Need, Operator, Partner, Resource, Testimonial, User, utcnow
from connectences.territory import get_commune

COBAS, COBAN = "243300563", "243301504"
RESOURCES = (
    (
        "aide-embauche-premier-salarie",
        "Aide à l'embauche d'un premier salarié",
        "Ce qu'il faut savoir avant d'embaucher pour la première fois : déclarations, aides, coût.",
        "## Pour qui ?\n\nLes entrepreneurs **sans salarié** qui embauchent pour la première fois.\n\n"
        "## Les étapes\n\n1. La déclaration préalable à l'embauche (DPAE) à l'Urssaf.\n"
        "2. L'affiliation à la médecine du travail.\n3. Le registre unique du personnel.\n\n"
        "L'animateur vous aide à faire le point : [être rappelé](/etre-rappele).",
        ["recrutement", "aides_relance"],
        {"size_bands": ["0"]},
        "Urssaf",
        "https://www.urssaf.fr",
        365,
    ),
    (
        "saisonniers-loger-recruter",
        "Recruter et loger ses saisonniers",
        "Les dispositifs du Bassin pour les saisonniers de l'hôtellerie-restauration et du commerce.",
        "## Recruter\n\nLes job datings de printemps avec France Travail et la Mission Locale.\n\n"
        "## Loger\n\nLes solutions de logement temporaire des intercommunalités.",
        ["saisonniers", "recrutement"],
        {"naf_sections": ["I", "G"]},
        "France Travail",
        "https://www.francetravail.fr",
        200,
    ),
    (
        "entretien-professionnel",
        "L'entretien professionnel en 5 questions",
        "Obligatoire tous les deux ans pour chaque salarié : comment le préparer simplement.",
        "## Quand ?\n\nTous les deux ans, et au retour d'un long congé.\n\n"
        "## Pour parler de quoi ?\n\nDes perspectives du salarié, de ses formations.",
        ["rh_reglementation", "formation"],
        {"size_bands": ["1-4", "5-9", "10-49"]},
        "Ministère du Travail",
        "https://travail-emploi.gouv.fr",
        400,
    ),
    (
        "temps-partage-groupement",
        "Le temps partagé par un groupement d'employeurs",
        "Partager un salarié avec d'autres entreprises : comment fonctionne un groupement.",
        "Le groupement emploie la personne en CDI et la met à disposition de ses adhérents, "
        "quelques heures ou jours par semaine chacun.",
        ["competences_partagees"],
        {"epcis": [COBAS, COBAN]},
        "Connect'ences",
        None,
        500,
    ),
)
ENTRIES = {
    "ge-bassin-emploi": (
        "Des salariés à temps partagé en CDI pour les TPE du Bassin : comptabilité, entretien, "
        "vente, restauration.",
        "Les entreprises de moins de 20 salariés du Pays.",
        ["competences_partagees", "recrutement"],
    ),
    "mission-locale-bassin": (
        "Des jeunes de 16 à 25 ans prêts à travailler, l'accompagnement de l'embauche et les "
        "aides associées.",
        "Toutes les entreprises qui recrutent des jeunes.",
        ["recrutement", "formation", "aides_relance"],
    ),
}


def commune_label(insee: str) -> str:
    commune = get_commune(insee)
    return commune.name if commune else insee


# Each testimonial's title names the need it tells of: a story goes to a demo need it
# fits (its trade, its contract), never to whichever need comes first.
STORIES = (
    (
        "Je faisais la comptabilité le soir. Aujourd'hui, une comptable du groupement vient "
        "deux jours par semaine et je me consacre à mes clients.",
        Need.rome == "M1203",  # Comptabilité
    ),
    (
        "Pour la saison, l'animateur nous a mis en relation avec la Mission Locale : deux "
        "jeunes recrutés en quinze jours.",
        Need.contract == "saisonnier",
    ),
)


def seed_content(session: Session, animateur: User, today: date) -> int:
    """Add the demo's resources, directory entries and testimonials once; how many rows."""
    if session.scalar(select(func.count(Resource.id))):
        return 0
    added = 0
    for slug, title, summary, body, topics, aims, source, url, days in RESOURCES:
        session.add(
            Resource(
                slug=slug,
                title=title,
                summary=summary,
                body=body,
                topics=topics,
                source=source,
                source_url=url,
                valid_until=today + timedelta(days=days),
                published=True,
                author_id=animateur.id,
                **aims,
            )
        )
        added += 1
    for ref, (offer, audience, topics) in ENTRIES.items():
        organisation = session.scalar(
            select(Operator).where(Operator.ref == ref)
        ) or session.scalar(select(Partner).where(Partner.ref == ref))
        if organisation is None:
            continue
        kind = "operator" if isinstance(organisation, Operator) else "partner"
        entry = directory.entry_of(session, kind, organisation.id)
        entry.offer, entry.audience, entry.topics = offer, audience, topics
        entry.email = organisation.email
        entry.published_at, entry.published_by_id = utcnow(), animateur.id
        added += 1
    taken: list[int] = []
    for story, fits in STORIES:
        need = session.scalar(
            select(Need).where(fits, Need.id.not_in(taken)).order_by(Need.id).limit(1)
        )
        if need is None:
            continue
        taken.append(need.id)
        session.add(
            Testimonial(
                title=f"« {need.title} » : un besoin résolu",
                company_label=f"{need.company.name}, {commune_label(need.company.commune)}",
                body=story,
                company_id=need.company_id,
                need_id=need.id,
                consent_by="Le dirigeant",
                consent_on=today - timedelta(days=30),
                consent_scope=["site", "lettre"],
                consent_note="Accord écrit (démonstration)",
                published=True,
                author_id=animateur.id,
            )
        )
        added += 1
    return added
