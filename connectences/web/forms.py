"""Forms of the account pages, and how a domain refusal becomes a form's errors.
Messages are in French; rules live in the domain."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash, redirect, request
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from connectences import contacts, submissions, territory
from connectences.accounts import throttle
from connectences.contacts import InvalidEmail, clean_email, email_refusal
from connectences.errors import DomainError
from connectences.extensions import db
from connectences.vocab import ROLES

REQUIRED = "Ce champ est obligatoire."
INVALID_EMAIL = "Indiquez une adresse e-mail valide (par exemple prenom.nom@exemple.fr)."


def valid_email(form, field) -> None:
    """The address must read as one (``contacts.clean_email``, the rule of every form)."""
    try:
        clean_email(field.data)
    except InvalidEmail as refusal:
        raise ValidationError(email_refusal(refusal, INVALID_EMAIL)) from None


def valid_email_to_find(form, field) -> None:
    """``valid_email`` for an address that may find someone stored (a reset link asked
    for, an invitation): an accented name before the @, stored before the rule, is
    found too."""
    try:
        clean_email(field.data, to_find=True)
    except InvalidEmail as refusal:
        raise ValidationError(email_refusal(refusal, INVALID_EMAIL)) from None


class Form(FlaskForm):
    """The platform's forms: WTForms' own messages ("Not a valid choice.") in French, from
    WTForms' translations (``WTF_I18N_ENABLED`` is off: no Flask-Babel here)."""

    class Meta:
        locales = ("fr_FR", "fr")


def password_field_names() -> frozenset[str]:
    """The names of the password fields of every form of the platform (what is typed in
    them is never kept: see ``web.held``)."""
    names: set[str] = set()
    pending = [FlaskForm]
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        for klass in form.__mro__:
            for name, value in vars(klass).items():
                if isinstance(value, UnboundField) and issubclass(value.field_class, PasswordField):
                    names.add(name)
    return frozenset(names)


class LoginForm(Form):
    email = EmailField(
        "Adresse e-mail",
        validators=[DataRequired(REQUIRED), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired(REQUIRED), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Se connecter")


class ResetRequestForm(Form):
    email = EmailField(
        "Adresse e-mail de votre compte",
        validators=[DataRequired(REQUIRED), Length(max=254), valid_email_to_find],
        render_kw={"autocomplete": "username"},
    )


class SetPasswordForm(Form):
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[DataRequired(REQUIRED)],
        description="Au moins 12 caractères. Une phrase de plusieurs mots est un bon choix.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirmez le mot de passe",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", "Les deux mots de passe ne sont pas identiques."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Enregistrer le mot de passe")


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked first on the page, though declared after the fields it inherits: first in
        # the error summary too, which lists the fields in the form's order.
        self._fields.move_to_end("current", last=False)


class ConfirmPasswordForm(Form):
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired(REQUIRED), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


def _role_field(label: str = "Rôle") -> UnboundField:
    return SelectField(
        label,
        choices=[SelectChoice("", "Choisissez un rôle")]
        + [SelectChoice(value, label) for value, label in ROLES.items()],
        validators=[DataRequired("Choisissez un rôle.")],
    )


def _organisation_field() -> UnboundField:
    return StringField(
        "Organisation",
        validators=[Length(max=300)],
        description=(
            "Référence de l'opérateur, du partenaire ou de l'entreprise ; SIREN de "
            "l'intercommunalité pour le rôle « Intercommunalité », ou celle que suit un "
            "animateur (vide : tout le Pays) ; vide pour un administrateur."
        ),
    )


class InviteForm(Form):
    # An address that is none is told with the other fields' errors, not after them
    # (``to_find``: a pending account stored before the rule is invited again; a new
    # accented one is refused by ``accounts.invite``, next to this field too).
    email = EmailField(
        "Adresse e-mail de la personne",
        validators=[DataRequired(REQUIRED), Length(max=254), valid_email_to_find],
    )
    role = _role_field()
    org_ref = _organisation_field()
    submit = SubmitField("Envoyer l'invitation")


class RoleChangeForm(Form):
    """An account's new role and the organisation it needs, chosen together."""

    role = _role_field("Nouveau rôle")
    org_ref = _organisation_field()
    submit = SubmitField("Changer le rôle")


class ApiTokenForm(Form):
    owner_email = EmailField(
        "Adresse e-mail du compte",
        validators=[DataRequired(REQUIRED), Length(max=254)],
        description="Le jeton agit avec le rôle et le périmètre de ce compte, comme sur le site.",
    )
    name = StringField(
        "Nom du jeton",
        validators=[DataRequired(REQUIRED), Length(max=100)],
        description="L'outil ou la plateforme qui l'utilisera, par exemple « Outil de la Région ».",
    )
    # Checked by the domain (accounts.api_tokens), which names the field in French.
    days = SelectField(
        "Validité",
        choices=[
            SelectChoice("30", "30 jours"),
            SelectChoice("90", "90 jours"),
            SelectChoice("180", "180 jours"),
            SelectChoice("365", "1 an"),
        ],
        default="90",
        validate_choice=False,
    )
    # The form's one-time token (``submissions``): the page reloaded after a creation
    # sends the same form again, which must not create a second token.
    submission_token = HiddenField(default=submissions.new_token)
    submit = SubmitField("Créer le jeton")

    def submission_key(self) -> str | None:
        """The key of this sending (``submissions.key``): its token and what was typed;
        None when the form sent no token (the field's default is a token drawn anew)."""
        sent = self.submission_token.raw_data
        typed = {"owner_email": self.owner_email.data, "name": self.name.data}
        return submissions.key(sent[0] if sent else None, {**typed, "days": self.days.data})

    def keep_submission_token(self) -> None:
        """Shown again (an error to correct), the form is still the same sending."""
        self.submission_token.data = submissions.kept_token(self.submission_token.data)


def back_after_success(url: str):
    """The redirect after a form sent to "…#erreurs" did what it was asked: to ``url``
    with a fragment of its own, "#contenu" (the page's main part, where its word of
    success shows) unless ``url`` has one. A redirect without a fragment carries the
    form's over (RFC 9110): the page of a success opened on its error anchor."""
    return redirect(url if "#" in url else f"{url}#contenu")


def errors_for(refusal: DomainError, fields: Mapping[str, str]) -> dict[str, str]:
    """A domain refusal as a form's errors: each field the domain names (``fields`` maps
    its name to the form's field name) gets its message next to it; the rest goes
    under ``"_"``, an error of the whole form shown at the top of the summary."""
    errors: dict[str, str] = {}
    named = refusal.errors if isinstance(refusal.errors, dict) else {}
    for key, message in named.items():
        errors.setdefault(fields.get(key, "_"), message)
    if not errors:
        errors["_"] = refusal.message
    return errors


def attach_errors(form, refusal: DomainError) -> str | None:
    """Put a domain refusal's field errors under the fields of a WTForms ``form`` (its
    fields bear the domain's names); return the message of what is about no field."""
    named = refusal.errors if isinstance(refusal.errors, dict) else {}
    placed = False
    for key, message in named.items():
        field = getattr(form, key, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
            placed = True
    return None if placed else refusal.message


def tell_communes_recorded(*typed: str | None) -> None:
    """Flash, for each commune typed in a form just stored, which commune was recorded
    when it is not plainly what was typed (a village, a short name, a typo, a postcode
    alone, a choice among communes of one name): ``territory.commune_note``, the rule's
    one home. Empty or unreadable texts (a field left out) say nothing; two fields typed
    alike (the need's commune and its company's) say it once, each note quoting what it
    reads."""
    for note in dict.fromkeys(territory.commune_note(text) for text in typed):
        if note:
            flash(note, "info")


INVALID_ADDRESS = "Indiquez une adresse e-mail valide (par exemple prenom.nom@exemple.fr)."


def corrected_address(field: str, kind: str) -> tuple[str, str | None, str | None, int]:
    """An address a public form's sender types again to correct theirs (``field`` of the
    POST): what was typed (to show back), the address in its stored form, or the French
    refusal and its status (the sender's hourly limit of ``kind`` mails, an invalid
    address). The caller counts the mail it sends."""
    typed = (request.form.get(field) or "").strip()[:254]
    refusal = throttle.mail_form_refusal(db.session, kind, request.remote_addr)
    if refusal is not None:
        return typed, None, refusal, 429
    address, invalid = contacts.read_email(typed, INVALID_ADDRESS)
    if address is None:
        return typed, None, invalid, 422
    return typed, address, None, 200
