"""The web UI: server-rendered pages (Jinja2 + htmx) in Korean and English.

Each page calls the same data function as its JSON API route, so a page can never show more
than the API would; ``pages/`` holds the routes, ``templates/`` one template per page,
``i18n/`` the message catalogs, ``static/`` our CSS and JavaScript and the pinned vendor files.
"""
