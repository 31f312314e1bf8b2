from ._import import ImportCommand


class Command(ImportCommand):
    kind = "nvd"
    what = "NVD CVE API 2.0 pages or bare CVE objects (JSON, gzipped or not)"
    many = True
