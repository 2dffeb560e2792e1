"""outbox messages say what they are for (kind), backfilled from their subject

Flood limits counted mails by ``subject LIKE``: rewording a subject silently turned a
limit off. They now count by ``kind``. Rows queued before this revision get the kind
their subject names (the subjects as they were written up to here); anything else
becomes ``other``.

Revision ID: c0ffee140001
Revises: 5e1d2c3b4a90
Create Date: 2026-12-04 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c0ffee140001"
down_revision = "5e1d2c3b4a90"
branch_labels = None
depends_on = None

# (kind, subject patterns), most specific first; subjects carry a "[platform] " prefix.
SUBJECT_KINDS = (
    ("cv_confirm", ("%Confirmez votre adresse pour la CVthèque",)),
    ("cv_space_link", ("%Votre lien vers votre espace CVthèque",)),
    ("cv_retention_warning", ("%Votre profil sera bientôt supprimé",)),
    ("company_space_link", ("%Votre lien de suivi",)),
    ("need_confirm", ("%Confirmez votre besoin",)),
    ("account_invitation", ("%Votre invitation sur %",)),
    ("password_reset", ("%Choisir un nouveau mot de passe",)),
    ("lead_sent", ("%Un poste en temps partagé vous est proposé", "%Nouveau besoin proposé : %")),
    ("lead_accepted", ("%Proposition acceptée : contacter %",)),
    ("referral_sent", ("%Besoin réorienté : %",)),
    ("lead_reminder", ("%Rappel : une proposition vous attend",)),
    ("lead_alert", ("%Proposition sans réponse depuis %",)),
    ("referral_reminder", ("%Rappel : un besoin d'entreprise vous a été adressé",)),
    ("referral_alert", ("%] Orientation sans suite depuis %",)),
    ("referral_closed", ("%Réorientation classée sans suite",)),
    (
        "workflow_update",
        (
            "%Proposition refusée par %",
            "%Proposition rendue par %",
            "%Proposition sans suite chez %",
            "%Placement enregistré par %",
            "%Réorientation close par %",
            "%Réorientation refusée par %",
        ),
    ),
    ("visit_follow_up", ("%Relance prévue : %",)),
    ("placement_follow_up", ("%Suivi à % mois à faire",)),
    ("rematch", ("%Nouveaux candidats pour %",)),
    ("monthly_digest", ("%Les besoins des entreprises de votre territoire en %",)),
    ("job_failure", ("%Échec de la tâche planifiée %",)),
)


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=40), nullable=True))

    outbox = sa.table(
        "outbox_message", sa.column("kind", sa.String), sa.column("subject", sa.String)
    )
    for kind, patterns in SUBJECT_KINDS:
        op.execute(
            outbox.update()
            .where(outbox.c.kind.is_(None), sa.or_(*(outbox.c.subject.like(p) for p in patterns)))
            .values(kind=kind)
        )
    op.execute(outbox.update().where(outbox.c.kind.is_(None)).values(kind="other"))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index(batch_op.f("ix_outbox_message_kind"), ["kind"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_message_kind"))
        batch_op.drop_column("kind")
