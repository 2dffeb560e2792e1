"""Forms of the CV library: a person's profile, the skills found in a CV, their links.

WTForms stays in the web layer: the fields only carry what the person typed, and
every rule and French message comes from ``cvtheque.profile.clean_profile``, so a
form, an animateur's entry and a spreadsheet import refuse the same things with
the same words. Reused by the animateurs' "create on someone's behalf" page.
"""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from connectences import contacts, territory, vocab
from connectences.cvtheque import consent, files
from connectences.cvtheque.profile import (
    PROFILE_FIELDS,
    CleanProfile,
    ProfileError,
    clean_profile,
    trades_input,
)
from connectences.models import Candidate
from connectences.typography import decimal_input
from connectences.web.forms import Form


def _choices(vocabulary: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in vocabulary.items()]


def choices_of(labels: list[str]) -> list[SelectChoice]:
    """Choices whose value is their label (skills found in a CV)."""
    return [SelectChoice(label, label) for label in labels]


# What the CV's file input accepts: a PDF, or photos of a paper CV (``files.read_cv``).
CV_ACCEPT = "application/pdf,.pdf,image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"
CV_FILE_HELP = (
    "Un PDF, ou une photo de votre CV papier (une par page, "
    f"{files.MAX_CV_PHOTOS} au plus : choisissez-les ensemble). "
    "5 Mo au plus par fichier."
)


class CvFileField(MultipleFileField):
    """The CV's file input: one PDF, or up to ``files.MAX_CV_PHOTOS`` photos chosen
    together (``multiple``). It carries the largest size accepted for a file
    (``data-max-bytes``), for all of them (``data-max-total``) and their number
    (``data-max-files``), so that the page refuses a heavier choice as soon as it is
    made (static/js/nav.js)."""

    def __call__(self, **kwargs):
        kwargs.setdefault("data-max-bytes", files.max_bytes())
        kwargs.setdefault("data-max-total", files.max_photos_bytes())
        kwargs.setdefault("data-max-files", files.MAX_CV_PHOTOS)
        kwargs.setdefault("accept", CV_ACCEPT)
        return super().__call__(**kwargs)


class Required:
    """Marks a field required (``required`` attribute, "(obligatoire)"); the domain checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class ConsentRequired:
    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        if not field.data:
            raise ValidationError(consent.CONSENT_REQUIRED)


class CheckboxesField(SelectMultipleField):
    """Several boxes to tick; unknown values are reported by the domain, in French."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


# The hours are the week's total (interchange ``hours_min``/``hours_max``): a person who
# already works somewhere and typed only the hours still looked for had their week seen as
# full.
HOURS_IN_TOTAL = "Entre 1 et 48, en tout dans la semaine, y compris un travail que vous avez déjà."


class CandidateForm(Form):
    """What a person gives about themselves (interchange v1 ``candidates``), plus consent.

    Nothing French law forbids in hiring is asked (no age, birth date, sex,
    nationality, family situation, health, photo). ``profile_data()`` gives the
    values for ``cvtheque.profile``; ``cleaned`` holds them once ``validate()`` passed.
    """

    first_name = StringField(
        "Prénom", validators=[Required()], render_kw={"autocomplete": "given-name"}
    )
    last_name = StringField(
        "Nom", validators=[Required()], render_kw={"autocomplete": "family-name"}
    )
    email = EmailField(
        "Adresse e-mail",
        validators=[Required()],
        description="Nous vous y enverrons un lien pour confirmer votre adresse.",
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    phone = TelField(
        "Téléphone (facultatif)",
        description="Pour qu'un conseiller puisse vous appeler. Exemple : 06 12 34 56 78.",
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    commune = StringField(
        "Commune où vous habitez",
        validators=[Required()],
        description="Le nom de la commune, ou son code postal. Exemple : Biganos.",
        # The person's own commune (WCAG 1.3.5): a browser may fill it in, an aid may
        # show its icon; the list of the area's communes still suggests as they type.
        render_kw={"list": "communes-du-pays", "autocomplete": "address-level2"},
    )
    mobility_km = StringField(
        "Distance que vous acceptez de parcourir (en km)",
        validators=[Required()],
        description="À vol d'oiseau, de 0 à 200 km. Exemple : 20.",
        render_kw={"inputmode": "decimal"},
    )
    skills = TextAreaField(
        "Vos compétences",
        validators=[Required()],
        description=(
            "Avec vos mots, une par ligne ou séparées par des virgules. Des suggestions "
            "s'affichent pendant que vous tapez : vous pouvez les choisir ou garder vos mots."
        ),
        render_kw={"rows": 4, "data-suggest": "skills"},
    )
    rome = StringField(
        "Métiers recherchés (facultatif)",
        description=(
            "Tapez un métier (par exemple « comptable ») et choisissez-le dans les "
            "suggestions. Séparez les métiers par des points-virgules (;)."
        ),
        # No autocomplete="off" here nor on the hours: Chromium does not restore such a
        # field when the page comes back from history (the privacy page it links to).
        render_kw={"data-suggest": "rome"},
    )
    level = RadioField(
        "Votre niveau",
        choices=_choices(vocab.LEVELS),
        validators=[Required()],
        validate_choice=False,
    )
    hours_min = StringField(
        "Heures par semaine : au moins",
        validators=[Required()],
        description=HOURS_IN_TOTAL,
        # "7,5" is accepted: a keyboard with the decimal comma, not digits only.
        render_kw={"inputmode": "decimal"},
    )
    hours_max = StringField(
        "Heures par semaine : au plus",
        validators=[Required()],
        description=HOURS_IN_TOTAL,
        # "7,5" is accepted: a keyboard with the decimal comma, not digits only.
        render_kw={"inputmode": "decimal"},
    )
    days = CheckboxesField(
        "Jours où vous pouvez travailler", choices=_choices(vocab.DAYS), validators=[Required()]
    )
    contracts = CheckboxesField(
        "Contrats que vous acceptez",
        choices=_choices(vocab.CONTRACTS),
        validators=[Required()],
    )
    available_from = StringField(
        "Disponible à partir du",
        validators=[Required()],
        render_kw={"type": "date"},
    )
    cv = CvFileField("Votre CV (facultatif)", description=CV_FILE_HELP)
    consent = BooleanField(consent.CONSENT_LABEL, validators=[ConsentRequired()])
    submit = SubmitField("Envoyer mon profil")

    cleaned: CleanProfile | None = None
    # The names the person is stored under (the update form): sent back as shown, they
    # are kept whatever way in they came by (``clean_profile``'s ``stored_names``).
    stored_names: dict[str, str | None] | None = None

    def profile_data(self) -> dict:
        """The typed values under the interchange names, for ``cvtheque.profile``."""
        data = {name: getattr(self, name).data for name in PROFILE_FIELDS}
        data["days"] = list(self.days.data or [])
        data["contracts"] = list(self.contracts.data or [])
        return data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        try:
            self.cleaned = clean_profile(self.profile_data(), stored_names=self.stored_names)
        except ProfileError as exc:
            self.cleaned = None
            for name, message in exc.errors.items():
                field = getattr(self, name, None)
                if field is not None and message not in field.errors:
                    field.errors = [*field.errors, message]
            return False
        return valid

    def add_errors(self, errors: dict[str, str]) -> None:
        """Show errors the domain found later (a duplicate address, a refused PDF...)."""
        for name, message in errors.items():
            field = getattr(self, name, None) or self.email
            field.errors = [*field.errors, message]

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) of every error, in the form's order (error summary)."""
        out = []
        for field in self:
            for message in field.errors:
                out.append((field.id, field.label.text, message))
        return out

    @staticmethod
    def data_of(candidate: Candidate) -> dict:
        """A stored profile as the form shows it (to prefill an update)."""
        commune = territory.get_commune(candidate.commune)
        return {
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "email": candidate.email,
            # As the space and the field's example write it: « 06 12 34 56 78 ».
            "phone": contacts.phone_display(candidate.phone, ""),
            "commune": commune.label if commune else candidate.commune,
            # A decimal as the person types it and the space shows it: « 7,5 ».
            "mobility_km": decimal_input(candidate.mobility_km),
            "skills": "\n".join(candidate.skill_labels),
            "rome": trades_input(candidate.rome),
            "level": candidate.level,
            "hours_min": decimal_input(candidate.hours_min),
            "hours_max": decimal_input(candidate.hours_max),
            "days": list(candidate.days or []),
            "contracts": list(candidate.contracts or []),
            "available_from": candidate.available_from.isoformat(),
        }


class CandidateUpdateForm(CandidateForm):
    """The same profile, for a person already in the library (consent already given)."""

    consent = None
    cv = CvFileField("Remplacer mon CV (facultatif)", description=CV_FILE_HELP)
    # Asked only to change the address of a profile that has an account, when its owner
    # is not logged in (``consent.address_needs_password``): the view removes it otherwise.
    password = PasswordField(
        "Mot de passe de votre compte",
        description=(
            "Seulement si vous changez d'adresse e-mail : elle est aussi votre identifiant "
            "de connexion. Inutile pour le reste du profil."
        ),
        validators=[Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Enregistrer mes changements")


class SkillsFoundForm(Form):
    """Skills read in the uploaded CV, proposed for the person to tick."""

    found = CheckboxesField("Compétences lues dans votre CV")
    submit = SubmitField("Ajouter les compétences cochées")


class LinkRequestForm(Form):
    email = EmailField(
        "Votre adresse e-mail",
        validators=[Required()],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    submit = SubmitField("Recevoir mon lien")

    def validate_email(self, field) -> None:
        # Only whether it is an address: whether it is known is never said. A profile
        # stored with an accented name before the @ (before the rule) is found too.
        try:
            contacts.clean_email(field.data, required=True, to_find=True)
        except contacts.InvalidEmail as exc:
            raise ValidationError(exc.message) from None


class DeleteForm(Form):
    confirm = BooleanField(
        "Je comprends que mon profil, mon CV et tout mon historique seront supprimés "
        "définitivement.",
        validators=[Required()],
    )
    submit = SubmitField("Tout supprimer")

    def validate_confirm(self, field) -> None:
        if not field.data:
            raise ValidationError("Cochez la case pour confirmer la suppression.")


class ActionForm(Form):
    """A button alone (pause, resume, new link): only the CSRF token is checked."""

    submit = SubmitField("Valider")
