from django.urls import path

from .views import visitor

app_name = "wagtail_securelink"

urlpatterns = [
    path("<str:token>/", visitor.landing, name="landing"),
    path("<str:token>/code/send/", visitor.send_code, name="send_code"),
    path("<str:token>/code/", visitor.enter_code, name="enter_code"),
    path("<str:token>/download/", visitor.download, name="download"),
    path("<str:token>/view/", visitor.view_file, name="view_file"),
    path("<str:token>/sign-out/", visitor.sign_out, name="sign_out"),
    path("<str:token>/sign-in/", visitor.sign_in, name="sign_in"),
]
