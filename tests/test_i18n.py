"""Translations: the visitor flow and its emails in French, and a complete catalogue.

The French catalogue (``wagtail_securelink/locale/fr``) covers every string of the
visitor pages, the forms they use and the emails; the tests below walk the flow with
``Accept-Language: fr`` through Django's LocaleMiddleware, as a visitor's browser would.
"""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

from tests.factories import make_document, make_link
from tests.helpers import enter_code_url, landing_url, send_code_url
from wagtail_securelink import services

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
LOCALE = Path(__file__).resolve().parents[1] / "wagtail_securelink" / "locale"
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}
# Where the strings a visitor sees (pages, forms, emails, messages) come from.
VISITOR_SOURCES = (
    "templates/wagtail_securelink/visitor/",
    "templates/wagtail_securelink/emails/",
    "forms.py",
    "views/visitor.py",
    "views/content.py",
    "uploads.py",
    "choices.py",
)


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
    assert "Vérifiez votre identité" in text(page)
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
    with translation.override("fr"):
        link = make_link(
            document, [ALICE], message="Bonne lecture.", send_invitations=True
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


def _entries(po: str):
    """(locations, msgid, msgstrs) of each entry of a .po file."""
    for block in po.split("\n\n"):
        lines = block.strip().splitlines()
        locations = " ".join(line[3:] for line in lines if line.startswith("#: "))
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield locations, fields["msgid"], strs, "#, fuzzy" in block


def test_the_french_catalogue_covers_every_visitor_string():
    po = (LOCALE / "fr" / "LC_MESSAGES" / "django.po").read_text()
    assert (LOCALE / "fr" / "LC_MESSAGES" / "django.mo").exists()
    visitor = [
        (msgid, strs, fuzzy)
        for locations, msgid, strs, fuzzy in _entries(po)
        if any(source in locations for source in VISITOR_SOURCES)
    ]
    assert len(visitor) > 150
    missing = [msgid for msgid, strs, fuzzy in visitor if fuzzy or not all(strs)]
    assert not missing, f"untranslated visitor strings: {missing}"
