"""gunicorn's settings (read from the working directory by default, so docker-compose, the
Dockerfile and the tests all use them).

The access log names the path without its query string: OAuth callbacks carry the
authorization code and state there (/calendar/callback/google/?code=...&state=...), and
other pages carry people's search terms; neither belongs in logs.
"""

accesslog = "-"
# %(U)s is the path alone; %(r)s (gunicorn's default) is the full request line with the query.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
