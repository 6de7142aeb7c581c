"""models/: a package of modules by concern, every model importable from its root."""

from django.apps import apps

from wagtail_securelink import models


def test_every_model_of_the_app_is_exported_by_the_package():
    """Code, tests and docs import models from ``wagtail_securelink.models``: a model
    added to a module of the package but not to ``models/__init__.py`` fails here."""
    app_models = list(apps.get_app_config("wagtail_securelink").get_models())
    names = {model.__name__ for model in app_models}
    assert names == set(models.__all__) - {"ShareLinkQuerySet"}
    for model in app_models:
        assert getattr(models, model.__name__) is model
