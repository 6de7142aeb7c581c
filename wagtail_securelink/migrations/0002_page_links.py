# Page preview links (SPEC §2 *Page preview*) and their policy switches.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# A swapped page model (Wagtail 8's WAGTAIL_PAGE_MODEL) is honoured, as the document
# model is in 0001; on Wagtail 7.4 the setting does not exist.
PAGE_MODEL = getattr(settings, "WAGTAIL_PAGE_MODEL", "wagtailcore.Page")


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_securelink", "0001_initial"),
        # Old enough for every supported Wagtail (tests/test_migrations.py).
        ("wagtailcore", "0094_alter_page_locale"),
    ]

    operations = [
        migrations.AddField(
            model_name="securelinkpolicy",
            name="allow_page_previews",
            field=models.BooleanField(
                db_default=True,
                default=True,
                help_text="Switching this off stops existing page preview links on their next request.",
                verbose_name="allow sharing previews of draft pages",
            ),
        ),
        migrations.AddField(
            model_name="securelinkpolicy",
            name="page_max_expiry_days",
            field=models.PositiveIntegerField(
                db_default=30,
                default=30,
                help_text="0 means no limit. Counted from the day a link was created; lowering it shortens existing page preview links on their next request.",
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(730),
                ],
                verbose_name="page preview links must expire within (days)",
            ),
        ),
        migrations.AddField(
            model_name="sharelink",
            name="page",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=PAGE_MODEL,
                verbose_name="page",
            ),
        ),
        migrations.AddField(
            model_name="sharelink",
            name="page_revision",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="wagtailcore.revision",
                verbose_name="page revision",
            ),
        ),
        migrations.AddField(
            model_name="sharelink",
            name="page_version",
            field=models.CharField(
                choices=[
                    ("latest", "The latest draft (the link follows later changes)"),
                    ("shared", "The revision at sharing (later changes stay unseen)"),
                ],
                db_default="latest",
                default="latest",
                max_length=10,
                verbose_name="page content shown",
            ),
        ),
        migrations.AlterField(
            model_name="sharelink",
            name="target_type",
            field=models.CharField(
                choices=[
                    ("document", "Document"),
                    ("collection", "Collection"),
                    ("page", "Page preview"),
                ],
                max_length=20,
                verbose_name="target type",
            ),
        ),
    ]
