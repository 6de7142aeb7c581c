"""Each recipient's language: chosen on the share form (the sharer's by
default) or taken from the visitor's browser, and used for every email to them,
whatever language is active where the email is built."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from tests.factories import make_document, make_link, make_user
from tests.helpers import enter_code_url, last_code, send_code_url
from wagtail_securelink import services
from wagtail_securelink.mail import notifications
from wagtail_securelink.models import Recipient, ShareLink

pytestmark = pytest.mark.django_db

ALICE = "alice@example.com"
FRENCH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}


@pytest.fixture(autouse=True)
def _two_languages(settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    yield
    translation.activate(settings.LANGUAGE_CODE)


def share_url(document):
    return reverse("wagtail_securelink_admin:share_document", args=[document.pk])


def test_the_share_form_offers_the_sharers_language_first(client, superuser):
    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "fr"
    profile.save()
    client.force_login(superuser)
    form = client.get(share_url(make_document("Rapport"))).context["form"]
    assert form["language"].value() == "fr"
    assert dict(form.fields["language"].choices) == {"en": "English", "fr": "Français"}


def test_the_chosen_language_is_stored_and_writes_the_invitation(client, superuser):
    """An English-speaking sharer invites a French-speaking recipient."""
    document = make_document("Rapport annuel")
    client.force_login(superuser)
    response = client.post(
        share_url(document),
        {
            "audience": "specific",
            "recipients": ALICE,
            "role": "download",
            "send_invitations": "on",
            "language": "fr",
        },
    )
    assert response.status_code == 302
    recipient = Recipient.objects.get()
    assert recipient.language == "fr"
    (invitation,) = mail.outbox
    assert "Ouvrez-le ici :" in invitation.body


def test_every_later_email_follows_the_recipient_not_the_sender(client):
    """The code email is built in a visitor's request that asks for English, or in a
    worker whose active language is the site's default: it is French all the same."""
    link = make_link(make_document("Rapport annuel"), [ALICE], language="fr")
    client.post(send_code_url(link), {"email": ALICE}, HTTP_ACCEPT_LANGUAGE="en")
    (code_email,) = mail.outbox
    assert code_email.subject.startswith("Votre code est ")

    mail.outbox.clear()
    recipient = link.recipients.get()
    with translation.override("en"):  # a task worker's own language
        assert services.deliver_invitation(recipient.pk) == "sent"
    assert "Ouvrez-le ici :" in mail.outbox[0].body


def test_a_recipient_without_a_language_gets_the_sites_default_everywhere():
    """Not the language that happens to be active where the email is sent."""
    with translation.override("fr"):
        make_link(make_document("Report"), [ALICE], send_invitations=True)
    (invitation,) = mail.outbox
    assert "Ouvrez-le ici :" not in invitation.body
    assert Recipient.objects.get().language == ""


def test_the_visitors_browser_decides_when_nobody_chose(client):
    link = make_link(make_document("Rapport annuel"), [ALICE])  # e.g. the CLI
    client.post(send_code_url(link), {"email": ALICE}, **FRENCH_BROWSER)
    assert Recipient.objects.get().language == "fr"
    (code_email,) = mail.outbox
    assert code_email.subject.startswith("Votre code est ")
    code = re.search(r"Votre code est (\d+)\.", code_email.body).group(1)
    assert client.post(enter_code_url(link), {"code": code}).status_code == 303


def test_the_browser_never_overrides_a_chosen_language(client):
    link = make_link(make_document("Report"), [ALICE], language="en")
    client.post(send_code_url(link), {"email": ALICE}, **FRENCH_BROWSER)
    assert Recipient.objects.get().language == "en"
    assert mail.outbox[0].subject.startswith("Your code is ")


def test_a_client_without_accept_language_decides_nothing(client):
    link = make_link(make_document("Report"), [ALICE])
    client.post(send_code_url(link), {"email": ALICE})
    assert Recipient.objects.get().language == ""


def test_an_unlisted_address_stores_nothing(client):
    link = make_link(make_document("Report"), [ALICE])
    client.post(send_code_url(link), {"email": "eve@example.com"}, **FRENCH_BROWSER)
    assert not Recipient.objects.filter(language="fr").exists()
    assert ShareLink.objects.get().recipients.get().language == ""


def test_people_added_on_manage_access_get_the_sharers_language(client, superuser):
    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "fr"
    profile.save()
    document = make_document("Rapport")
    link = make_link(document, [ALICE], language="en")
    client.force_login(superuser)
    client.post(
        reverse("wagtail_securelink_admin:add_recipients", args=[link.pk]),
        {f"add-{link.pk}-recipients": "bob@example.com"},
    )
    assert link.recipients.get(email="bob@example.com").language == "fr"


def command(*args):
    out = StringIO()
    call_command("securelink_share", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_line_stores_the_recipients_language(superuser):
    document = make_document("Rapport annuel")
    command("--document", str(document.pk), "--to", ALICE, "--language", "fr")
    assert Recipient.objects.get().language == "fr"
    (invitation,) = mail.outbox
    assert "Ouvrez-le ici :" in invitation.body


def test_the_command_line_refuses_a_language_the_site_does_not_offer(superuser):
    document = make_document("Annual report")
    with pytest.raises(CommandError, match="--language must be one of .*en, fr"):
        command("--document", str(document.pk), "--to", ALICE, "--language", "xx")
    assert not ShareLink.objects.exists() and mail.outbox == []


def sharer_with_language(language):
    sharer = make_user("sharer", "sharer@example.com", superuser=True)
    UserProfile.get_for_user(sharer)  # the row Wagtail makes on the account page
    UserProfile.objects.filter(user=sharer).update(preferred_language=language)
    return sharer


def test_emails_to_the_sharer_follow_their_wagtail_language(client):
    """The first-open notice goes out while the visitor's English request finishes,
    yet it is written in the French the sharer chose in their Wagtail account."""
    sharer = sharer_with_language("fr")
    link = make_link(make_document("Rapport"), [ALICE], created_by=sharer)
    client.post(send_code_url(link), {"email": ALICE}, HTTP_ACCEPT_LANGUAGE="en")
    client.post(
        enter_code_url(link), {"code": last_code(ALICE)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    (notice,) = [m for m in mail.outbox if m.to == ["sharer@example.com"]]
    assert notice.subject == f"{ALICE} a ouvert « Rapport »"


def test_a_sharer_without_a_choice_gets_the_sites_default():
    """Not the language active where the notice is built (a French request, a worker
    started with another language)."""
    sharer = sharer_with_language("")
    link = make_link(make_document("Report"), [ALICE], created_by=sharer)
    recipient = link.recipients.get()
    with translation.override("fr"):
        assert notifications.notify_first_open(recipient.pk) == "sent"
    (notice,) = mail.outbox
    assert notice.to == ["sharer@example.com"]
    assert notice.subject == f"{ALICE} opened “Report”"
