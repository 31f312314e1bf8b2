from ._import import ImportCommand


class Command(ImportCommand):
    kind = "cve5"
    what = "CVE JSON 5 records (files, directories, zip archives)"
    many = True
