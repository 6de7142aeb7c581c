"""A reviewer's comment on a page preview, posted from the form in the banner.

Thin: ``with_access`` sends a visitor without access back to the landing page (to
prove an address first), ``services.add_comment`` holds every rule. A refused comment
shows the preview again with the reason, the text kept, and a 400; a link that takes
no comments answers 403 with a page that says so.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.views.decorators.http import require_POST

from wagtail_securelink import services
from wagtail_securelink.core.tokens import landing_path
from wagtail_securelink.sharing.comments import MAX_LENGTH, accepts_comments
from wagtail_securelink.visitor.content import page_preview, refuse
from wagtail_securelink.visitor.decorators import link_view
from wagtail_securelink.visitor.gates import with_access

__all__ = ["comment"]


@link_view
@require_POST
@with_access
def comment(request: HttpRequest, link, access):
    if not accepts_comments(link):
        return refuse(request, link, "no_comments.html")
    text = request.POST.get("comment", "")
    try:
        services.add_comment(link, access, text, request=request)
    except PermissionError:
        return refuse(request, link, "no_comments.html")
    except ValidationError as exc:
        return page_preview(
            request,
            link,
            access,
            status=400,
            comment_error=" ".join(exc.messages),
            # Kept for the reviewer to shorten; the form field caps what it shows.
            comment_text=text[: MAX_LENGTH * 2],
        )
    response = HttpResponseRedirect(f"{landing_path(link)}?commented=1")
    response.status_code = 303
    return response
