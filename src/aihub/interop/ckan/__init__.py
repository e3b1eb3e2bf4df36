"""A subset of CKAN's Action API (``/api/3/action/``), so that CKAN clients (ckanapi,
ckanr, harvesters) read aihub's catalog and hosts add datasets and files with them.
docs/ckan.md says what is served and how aihub's datasets map to CKAN's packages."""
