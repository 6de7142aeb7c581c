"""Translations: the visitor flow, its emails and the admin in French; a complete catalogue.

The French catalogue (``wagtail_securelink/locale/fr``) covers every string of the
package: visitor pages, forms, emails, the admin, policy and model fields, commands.
The visitor tests walk the flow with ``Accept-Language: fr`` through Django's
LocaleMiddleware, as a visitor's browser would; the admin tests use Wagtail's own
choice of language (the user's preferred language, else the request's). The catalogue
tests fail on any untranslated or fuzzy entry, on any string of the source missing
from the catalogue (``makemessages`` run on a copy of the package), and on a ``.mo``
that was not compiled from the ``.po``.
"""

import ast
import gettext
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

import wagtail_securelink
from tests.factories import make_document, make_link
from tests.helpers import enter_code_url, landing_url, send_code_url
from wagtail_securelink import services

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
# The package as imported (the repository's, or an installed wheel's).
PACKAGE = Path(wagtail_securelink.__file__).resolve().parent
FRENCH_PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}


@pytest.fixture(autouse=True)
def _locale_middleware(settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.middleware.common.CommonMiddleware"),
        "django.middleware.locale.LocaleMiddleware",
    )
    settings.MIDDLEWARE = middleware
    yield
    translation.activate(settings.LANGUAGE_CODE)


def text(response) -> str:
    return response.content.decode()


def test_the_visitor_flow_in_french(client):
    document = make_document(title="Rapport annuel")
    link = make_link(document, [ALICE], message="Bonne lecture.")

    page = client.get(landing_url(link), **FRENCH)
    assert page.status_code == 200
    assert '<html lang="fr"' in text(page)
    assert "Confirmez votre adresse e-mail" in text(page)
    assert "Votre adresse e-mail" in text(page)
    assert "Envoyer le code" in text(page)
    assert "Cette page vous est réservée." in text(page)

    invalid = client.post(send_code_url(link), {"email": "pas une adresse"}, **FRENCH)
    assert "Saisissez une adresse e-mail valide." in text(invalid)

    sent = client.post(send_code_url(link), {"email": ALICE}, **FRENCH)
    assert sent.status_code == 303
    (code_email,) = mail.outbox
    assert code_email.subject.startswith("Votre code est ")
    assert "Il expire dans 10 minutes." in code_email.body
    assert "Si vous ne l’avez pas demandé, ignorez cet e-mail." in code_email.body
    html = code_email.alternatives[0][0]
    assert "Votre code est" in html and "Rapport annuel" in html

    page = client.get(enter_code_url(link), **FRENCH)
    assert "Saisissez votre code" in text(page)
    assert "Si cette adresse peut ouvrir l’élément, nous lui avons envoyé un code" in (
        text(page)
    )
    code = re.search(r"Votre code est (\d+)\.", code_email.body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(enter_code_url(link), {"code": wrong}, **FRENCH)
    assert "Ce code est incorrect. Essais restants : 4." in text(refused)
    malformed = client.post(enter_code_url(link), {"code": "12"}, **FRENCH)
    assert "Saisissez le code à 6 chiffres reçu par e-mail" in text(malformed)

    verified = client.post(enter_code_url(link), {"code": code}, **FRENCH)
    assert verified.status_code == 303
    page = client.get(landing_url(link), **FRENCH)
    for french in ("Rapport annuel", "Fichier", "Accès", "Lecture et téléchargement"):
        assert french in text(page)
    assert "Télécharger" in text(page)
    assert "Se déconnecter" in text(page)

    signed_out = client.post(landing_url(link) + "sign-out/", **FRENCH, follow=False)
    assert "Vous êtes déconnecté" in text(signed_out)


def test_the_removed_page_in_french(client):
    page = client.get("/share/not-a-link/", **FRENCH)
    assert page.status_code == 404
    assert "Ce lien a été supprimé ou a expiré" in text(page)


def test_the_invitation_in_french():
    document = make_document(title="Rapport annuel")
    # The recipient's language (chosen on the share form), not the sharer's at the
    # moment of sending, decides (tests/core/test_languages.py).
    link = make_link(
        document,
        [ALICE],
        message="Bonne lecture.",
        send_invitations=True,
        language="fr",
    )
    (invitation,) = mail.outbox
    assert "a partagé « Rapport annuel » avec vous" in invitation.subject or (
        "« Rapport annuel » a été partagé avec vous" in invitation.subject
    )
    assert "Ouvrez-le ici :" in invitation.body
    assert services.link_url(link) in invitation.body
    assert "Quand vous ouvrirez le lien, nous enverrons un code court" in (
        invitation.body
    )


# -- The admin in French --------------------------------------------------------------


def test_the_share_form_in_french_for_a_user_who_prefers_french(client, superuser):
    """Wagtail renders its admin in the user's preferred language (account settings),
    whatever the browser asks for."""
    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "fr"
    profile.save()
    document = make_document(title="Rapport annuel")
    client.force_login(superuser)

    page = client.get(
        reverse("wagtail_securelink_admin:share_document", args=[document.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    html = text(page)
    assert '<html lang="fr"' in html
    for french in (
        "Partager « Rapport annuel »",
        "Qui peut l’ouvrir",
        "Personnes avec qui partager",
        "Laisser l’élément public",
        "Est-ce public sur le site ?",
        "Voir qui a déjà accès",
    ):
        assert french in html, french
    for english in ("Who can open it", "People to share with", "Keep it public"):
        assert english not in html, english


def test_manage_access_in_french_with_accept_language(client, superuser):
    """Without a preferred language, Wagtail follows the request's language."""
    document = make_document(title="Rapport annuel")
    link = make_link(document, [ALICE])
    client.force_login(superuser)
    manage = reverse("wagtail_securelink_admin:manage_document", args=[document.pk])

    page = client.get(manage, **FRENCH)
    assert page.status_code == 200
    html = text(page)
    assert '<html lang="fr"' in html
    for french in (
        "Gérer l’accès",
        "Personnes précises",
        "Lecture et téléchargement",
        "Première ouverture",
        "Dernière ouverture",
        "Renvoyer l’invitation",
        "Révoquer le lien",
        "Modifier l’expiration",
        "Sur le site",
    ):
        assert french in html, french
    assert "Revoke link" not in html

    revoke = reverse("wagtail_securelink_admin:revoke", args=[link.pk])
    done = client.post(revoke, {"next": manage}, follow=True, **FRENCH)
    assert "Le lien a été révoqué : plus personne ne peut l’ouvrir." in text(done)


# -- The catalogue ----------------------------------------------------------------------


@dataclass
class Entry:
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    msgstrs: list[str]
    fuzzy: bool

    @property
    def key(self):
        return (self.msgctxt, self.msgid)


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (header and obsolete ``#~`` entries left out)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line]
        if not lines or all(line.startswith("#") for line in lines):
            continue
        flags = {
            flag.strip()
            for line in lines
            if line.startswith("#,")
            for flag in line[2:].split(",")
        }
        fields, current = {}, None
        for line in lines:
            match = re.match(
                r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line
            )
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        entries.append(
            Entry(
                msgctxt=fields.get("msgctxt"),
                msgid=fields["msgid"],
                msgid_plural=fields.get("msgid_plural"),
                msgstrs=[
                    v for k, v in sorted(fields.items()) if k.startswith("msgstr")
                ],
                fuzzy="fuzzy" in flags,
            )
        )
    return entries


def test_every_french_entry_is_translated_and_none_is_fuzzy():
    entries = read_po(FRENCH_PO)
    assert len(entries) > 500
    untranslated = [e.msgid for e in entries if not e.msgstrs or not all(e.msgstrs)]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert not untranslated, f"untranslated French entries: {untranslated}"
    assert not fuzzy, f"fuzzy French entries (review, fix, unmark): {fuzzy}"


def test_every_string_of_the_source_is_in_the_french_catalogue(tmp_path, monkeypatch):
    """``makemessages`` on a copy of the package, as the catalogue is made (see the
    visitor guide); any msgid it finds that the committed catalogue lacks fails."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge) is needed to check the catalogue")
    copy = tmp_path / "wagtail_securelink"
    shutil.copytree(
        PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    )
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["fr"], add_location="file", verbosity=0)
    fresh = read_po(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po")
    committed = {entry.key for entry in read_po(FRENCH_PO)}
    assert len(fresh) > 500
    missing = [e.msgid for e in fresh if e.key not in committed]
    assert not missing, (
        "strings of the source missing from the French catalogue; run "
        "`cd wagtail_securelink && django-admin makemessages -l fr --add-location "
        f"file`, translate them, then `django-admin compilemessages`: {missing}"
    )


def test_the_compiled_french_catalogue_is_the_po():
    with open(FRENCH_PO.with_suffix(".mo"), "rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog
    stale = []
    for entry in read_po(FRENCH_PO):
        key = (
            entry.msgid
            if entry.msgctxt is None
            else f"{entry.msgctxt}\x04{entry.msgid}"
        )
        if entry.msgid_plural is None:
            compiled = [catalog.get(key)]
        else:
            compiled = [catalog.get((key, n)) for n in range(len(entry.msgstrs))]
        if compiled != entry.msgstrs:
            stale.append(entry.msgid)
    assert not stale, f"django.mo is not compiled from django.po; differ: {stale}"
