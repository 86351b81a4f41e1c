"""The station's console: the pages an operator works in all day, in a browser.

``printstation serve`` runs it (``server.serve``): a Starlette app (``app.create_app``)
of server-rendered Jinja2 pages, made live by htmx and its server-sent-events extension
(shipped in ``static/vendor``, never from a CDN). Like the command line it only parses,
calls the operations layer (``printstation.operations``) and renders: the role table
decides on the server, whatever a page shows or hides. Indonesian is the language of its
words (``words``) and of the errors it shows (``messages``); English can be chosen.
"""
