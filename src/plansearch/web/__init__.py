"""`plansearch serve`: a local web app over one index (search, trend, documents, compare, reuse, check).

    from plansearch.web import create_app
    app = create_app("index/")        # a Starlette app; `uvicorn.run(app)` serves it

The app is a thin layer over the library, like the CLI: `engine.Engine` holds the index opened
once per process and the caches, `views` turns records (plansearch.records) into what templates
show, `app` maps URLs to pages.
"""
from __future__ import annotations


def create_app(*args, **kwargs):
    from .app import create_app as _create

    return _create(*args, **kwargs)


__all__ = ["create_app"]
