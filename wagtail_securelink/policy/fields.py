"""The policy's own field type and value helpers: role sets, domain lists."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..choices import Role

__all__ = ["RoleSetField", "normalise_domains", "all_roles", "view_and_download"]


def normalise_domains(text: str) -> list[str]:
    """One domain a line, lower-cased, IDNA-encoded, blank lines and '@' dropped."""
    domains = []
    for line in (text or "").splitlines():
        domain = line.strip().lstrip("@").rstrip(".").lower()
        if not domain:
            continue
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            pass
        domains.append(domain)
    return domains


def all_roles() -> list[str]:
    return list(Role.values)


def view_and_download() -> list[str]:
    return [Role.VIEW, Role.DOWNLOAD]


class RoleSetField(models.JSONField):
    """A set of roles, stored as a JSON list and edited as checkboxes."""

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if not isinstance(value, list) or not set(value) <= set(Role.values):
            raise ValidationError(_("Choose roles from the list."), code="invalid")

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )
