from ._import import ImportCommand


class Command(ImportCommand):
    kind = "epss"
    what = "FIRST EPSS scores (CSV, gzipped or not)"
    many = False
