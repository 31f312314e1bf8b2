from ._import import ImportCommand


class Command(ImportCommand):
    kind = "kev"
    what = "the CISA Known Exploited Vulnerabilities catalogue (JSON)"
    many = False
