"""``serving.previews``: the banner's place in Wagtail's rendered page."""

from wagtail_securelink.serving.previews import insert_banner

BANNER = "<div data-banner>b</div>"


def test_the_banner_goes_right_after_the_body_tag_with_its_attributes():
    html = b'<html><head><title>t</title></head><BODY class="x">\n<h1>t</h1></BODY>'
    assert insert_banner(html, BANNER) == (
        b'<html><head><title>t</title></head><BODY class="x"><div data-banner>b</div>'
        b"\n<h1>t</h1></BODY>"
    )


def test_without_a_body_tag_the_banner_comes_first():
    assert insert_banner(b"<p>fragment</p>", BANNER) == (
        b"<div data-banner>b</div><p>fragment</p>"
    )


def test_a_body_word_in_the_head_is_not_a_tag():
    html = b"<head><meta name=bodyguard></head><body><p>x</p></body>"
    assert insert_banner(html, BANNER).startswith(
        b"<head><meta name=bodyguard></head><body><div data-banner>"
    )


def test_non_ascii_banner_text_is_utf8():
    assert "Aperçu".encode() in insert_banner(b"<body></body>", "Aperçu")
