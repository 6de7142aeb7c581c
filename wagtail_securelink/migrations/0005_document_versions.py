import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import wagtail_securelink.models.policy
from django.conf import settings
from wagtail.documents import get_document_model_string
from django.db import migrations, models

DOCUMENT_MODEL = get_document_model_string()


class Migration(migrations.Migration):
    # Only our own previous migration: 0001 already depends on the document model and
    # the user model, and nothing newer than every supported Wagtail has is named.
    dependencies = [
        ("wagtail_securelink", "0004_link_newest_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="securelinkpolicy",
            name="anyone_roles",
            field=wagtail_securelink.models.policy.RoleSetField(
                blank=True,
                default=wagtail_securelink.models.policy.view_and_download,
                help_text="Existing links with a role no longer ticked stop working on their next request.",
                verbose_name="roles allowed on links that work for anyone",
            ),
        ),
        migrations.AddField(
            model_name="securelinkpolicy",
            name="organization_roles",
            field=wagtail_securelink.models.policy.RoleSetField(
                blank=True,
                default=wagtail_securelink.models.policy.all_roles,
                help_text="Existing links with a role no longer ticked stop working on their next request.",
                verbose_name="roles allowed on links for people signed in to this site",
            ),
        ),
        migrations.AddField(
            model_name="securelinkpolicy",
            name="specific_roles",
            field=wagtail_securelink.models.policy.RoleSetField(
                blank=True,
                default=wagtail_securelink.models.policy.all_roles,
                help_text="Existing links with a role no longer ticked stop working on their next request.",
                verbose_name="roles allowed on links for specific people",
            ),
        ),
        migrations.AlterField(
            model_name="securelinkpolicy",
            name="allowed_domains",
            field=models.TextField(
                blank=True,
                help_text="One domain a line. Empty: every domain not blocked. Recipients outside the list lose access on their next request.",
                verbose_name="allowed recipient domains",
            ),
        ),
        migrations.AlterField(
            model_name="securelinkpolicy",
            name="anyone_max_expiry_days",
            field=models.PositiveIntegerField(
                default=30,
                help_text="0 means no limit. Counted from the day a link was created; lowering it shortens existing links on their next request.",
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(730),
                ],
                verbose_name="'anyone' links must expire within (days)",
            ),
        ),
        migrations.AlterField(
            model_name="securelinkpolicy",
            name="blocked_domains",
            field=models.TextField(
                blank=True,
                help_text="One domain a line. Blocked wins over allowed. Recipients of a blocked domain lose access on their next request.",
                verbose_name="blocked recipient domains",
            ),
        ),
        migrations.CreateModel(
            name="DocumentVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("file_name", models.CharField(max_length=255)),
                (
                    "original_name",
                    models.CharField(max_length=255, verbose_name="file name"),
                ),
                ("title", models.CharField(max_length=255, verbose_name="title")),
                (
                    "file_size",
                    models.PositiveBigIntegerField(null=True, verbose_name="size"),
                ),
                ("file_hash", models.CharField(blank=True, max_length=40)),
                (
                    "replaced_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="replaced"
                    ),
                ),
                ("replaced_by_email", models.CharField(blank=True, max_length=254)),
                ("restored", models.BooleanField(default=False)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=DOCUMENT_MODEL,
                        verbose_name="document",
                    ),
                ),
                (
                    "link",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replaced_versions",
                        to="wagtail_securelink.sharelink",
                    ),
                ),
                (
                    "replaced_by_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "earlier version",
                "verbose_name_plural": "earlier versions",
                "ordering": ["-replaced_at", "-pk"],
            },
        ),
        migrations.AlterField(
            model_name='accessevent',
            name='event',
            field=models.CharField(choices=[('link_created', 'Link created'), ('link_changed', 'Link changed'), ('link_revoked', 'Link revoked'), ('recipient_added', 'Recipient added'), ('recipient_removed', 'Recipient removed'), ('recipient_unlocked', 'Recipient unlocked'), ('invitation_sent', 'Invitation sent'), ('invitation_failed', 'Invitation could not be sent'), ('opened', 'Opened'), ('code_requested', 'Code requested'), ('code_sent', 'Code sent'), ('code_send_failed', 'Code could not be sent'), ('code_failed', 'Wrong code'), ('code_locked', 'Recipient locked'), ('password_failed', 'Wrong password'), ('verified', 'Verified'), ('grant_ended', 'Access ended'), ('viewed', 'Viewed'), ('downloaded', 'Downloaded'), ('uploaded', 'Uploaded'), ('signed_out', 'Signed out'), ('rate_limited', 'Rate limited'), ('unlisted_address', 'Unlisted address tried the link'), ('account_sign_in_sent', 'Sign-in reminder sent'), ('version_downloaded', 'Earlier version downloaded'), ('version_restored', 'Earlier version restored')], db_index=True, max_length=40, verbose_name='event'),
        ),
    ]
