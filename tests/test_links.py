"""Links without arguments are built once per process (web/links.py): they still follow
the path the platform is served under, and links with arguments are built each time."""

from __future__ import annotations

from flask import url_for


def test_kept_links_follow_the_path_the_app_is_served_under(app, client):
    with app.test_request_context("/"):
        legal = url_for("public.legal")
    plain = client.get("/connexion").get_data(as_text=True)
    mounted = client.get("/connexion", environ_overrides={"SCRIPT_NAME": "/plateforme"}).get_data(
        as_text=True
    )
    again = client.get("/connexion").get_data(as_text=True)
    for page, root in ((plain, ""), (mounted, "/plateforme"), (again, "")):
        assert f'href="{root}/static/css/app.css"' in page
        assert f'href="{root}{legal}"' in page
    assert "/plateforme/" not in again


def test_links_with_arguments_are_built_for_each_call(app):
    build = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        assert build("needs.show", ref="besoin-1") == "/animateur/besoins/besoin-1"
        assert build("needs.show", ref="besoin-2") == "/animateur/besoins/besoin-2"
        assert build("static", filename="css/app.css") == "/static/css/app.css"
        assert build("static", filename="js/nav.js") == "/static/js/nav.js"
        assert build("needs.index", attente="animateur") == "/animateur/besoins?attente=animateur"
        assert build("needs.index") == "/animateur/besoins"
