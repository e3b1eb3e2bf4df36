"""Page routes, one module per group of users' work. Each router checks CSRF on every
unsafe request (``context.csrf_protect``)."""
